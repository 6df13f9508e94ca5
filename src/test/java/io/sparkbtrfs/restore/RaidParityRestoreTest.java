package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * {@code -m} onto RAID5 and RAID6 devices computes the parity of every full stripe it writes: kernel-written
 * three-device RAID5 and four-device RAID6 filesystems (data and metadata in that profile), dumped, restored
 * with {@code -m} onto files, mount {@code -o ro,degraded} from all devices but one (RAID5) or two (RAID6),
 * for several choices of the missing ones, and list every path of the original: the kernel rebuilds each
 * missing metadata block from the others and the parity. With every device present, btrfs check is clean.
 */
class RaidParityRestoreTest {
    private static final Pattern NOTE = Pattern.compile("computed RAID5/6 parity for (\\d+) full stripes");

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"raid5; 3; 1|2|3", "raid6; 4; 1,2|3,4|2,4"})
    void degradedMountListsEveryPath(String profile, int devices, String missingSets, @TempDir Path dir)
            throws IOException {
        RefTool.assumeAvailable();
        KernelFs.assumeAvailable();
        TreeGenerator tree = TreeGenerator.withSeed(5).fileCount(1500).bigDirFiles(400).largeFiles(2, 65536, 262144);
        List<Path> original = KernelFs.multiDevice(dir.resolve("fs"), profile, devices, 512L << 20,
                m -> tree.generate(m.resolve("tree")));
        List<String> paths = listPaths(original, dir.resolve("orig-mnt"), List.of("ro"));
        assertTrue(paths.size() > 1500, "only " + paths.size() + " paths");

        Path image = dir.resolve(profile + ".metadump");
        List<String> dumpArgs = new ArrayList<>(List.of("-c", "1"));
        for (Path p : original.subList(1, devices)) {
            dumpArgs.addAll(List.of("--device", p.toString()));
        }
        Ours.dump(original.get(0), image, dumpArgs.toArray(new String[0])).requireOk();

        List<Path> restored = new ArrayList<>();
        for (int i = 1; i <= devices; i++) {
            restored.add(dir.resolve("restored-dev" + i + ".img"));
        }
        Ours.Run run = RestoredTargets.ourRestore(image, restored, "-m").requireOk();
        Matcher m = NOTE.matcher(run.stderr());
        assertTrue(m.find(), "no parity note: " + run.stderr());
        assertTrue(Long.parseLong(m.group(1)) > 4, run.stderr());

        for (String set : missingSets.split("\\|")) {
            List<Path> present = new ArrayList<>(restored);
            for (String devid : set.split(",")) {
                present.remove(restored.get(Integer.parseInt(devid.strip()) - 1));
            }
            List<String> seen = listPaths(present, dir.resolve("degraded-mnt"), List.of("ro", "degraded"));
            assertEquals(paths, seen, profile + " without device(s) " + set);
        }
        assertCheckClean(restored);
    }

    /** Every path under the mount of {@code devices}, relative, sorted. */
    private static List<String> listPaths(List<Path> devices, Path mountpoint, List<String> options) throws IOException {
        try (KernelFs.Mounted mounted = KernelFs.mountDevices(devices, mountpoint, options);
                Stream<Path> walk = Files.walk(mounted.mountpoint())) {
            return walk.map(p -> mounted.mountpoint().relativize(p).toString()).sorted().toList();
        }
    }

    private static void assertCheckClean(List<Path> devices) {
        List<String> loops = new ArrayList<>();
        try {
            for (Path p : devices) {
                loops.add(KernelFs.attachLoop(p));
            }
            for (String l : loops) {
                Proc.run("btrfs", "device", "scan", l);
            }
            RestoredTargets.assertClean(RefTool.check(Path.of(loops.get(0))));
        } finally {
            for (String l : loops) {
                Proc.run("btrfs", "device", "scan", "--forget", l);
                KernelFs.detachLoop(l);
            }
        }
    }
}
