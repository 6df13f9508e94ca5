package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.SparseFiles;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Restore acceptance 2: our dump ({@code -c 9}) then our restore gives a filesystem that passes
 * {@code btrfs check}, for crc32c filesystems of nodesize 4, 16 and 64 KiB, xxhash64, sha256 and blake2b
 * ones (nodesize 16 KiB), and a kernel-written filesystem with subvolumes, snapshots, reflinks and, in the
 * copy taken after fsync, a log tree. The restored superblock keeps the filesystem's checksum type (the
 * reference rewrites it as crc32c: its bug 3), carries METADUMP_V2, and its backup copies that fit are valid
 * for that checksum type. For crc32c filesystems the reference restore of the same image gives the same
 * bytes (backup-superblock slots excepted, see {@link RestoredTargets}). Needs python3 (SEEK_DATA).
 */
class RestoreRoundTripTest {
    @TempDir
    static Path shared;
    static Path tree;

    @BeforeAll
    static void generate() throws IOException {
        RefTool.assumeAvailable();
        SparseFiles.assumeAvailable();
        tree = shared.resolve("tree");
        TreeGenerator.withSeed(2026).fileCount(2500).bigDirFiles(400).largeFiles(2, 65536, 262144).generate(tree);
    }

    @ParameterizedTest(name = "{0} nodesize {1}")
    @CsvSource({"crc32c, 4096", "crc32c, 16384", "crc32c, 65536", "xxhash, 16384", "sha256, 16384",
        "blake2, 16384"})
    void mkfsRootdir(String csum, int nodesize, @TempDir Path dir) throws IOException {
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).nodesize(nodesize).csum(csum).rootdir(tree)
                .run();
        roundTrip(fs, dir, csum + "/" + nodesize);
    }

    @Test
    void kernelWrittenWithSubvolumesSnapshotsAndLogTree(@TempDir Path dir) throws IOException {
        KernelFs.assumeAvailable();
        KernelFs.Result made = KernelFs.builder(dir.resolve("kernel")).logTree(true).build();
        assertEquals("0", RefTool.superFields(made.image()).get("log_root"));
        roundTrip(made.image(), dir, "kernel clean");
        String logRoot = RefTool.superFields(made.logTreeImage()).get("log_root");
        assertNotEquals("0", logRoot, "the copy taken after fsync has no log tree");
        Path restored = roundTrip(made.logTreeImage(), dir, "kernel log tree");
        assertEquals(logRoot, RefTool.superFields(restored).get("log_root"), "log_root of the restored filesystem");
    }

    /** Dump with -c 9, restore, check; returns the restored target (deleted when the test's dir goes). */
    private static Path roundTrip(Path fs, Path dir, String label) throws IOException {
        Path image = dir.resolve("image.img");
        Path restored = dir.resolve("restored.img");
        Path ref = dir.resolve("ref-restored.img");
        Files.deleteIfExists(image);
        Files.deleteIfExists(restored);
        Files.deleteIfExists(ref);
        Ours.dump(fs, image, "-c", "9").requireOk();

        Ours.Run mine = RestoredTargets.ourRestore(image, restored);
        assertEquals(0, mine.status(), label + ": our restore: " + mine.stderr());
        System.out.println(label + ": " + mine.stderr().strip().replace(dir.toString(), "DIR"));
        Proc.Result check = RefTool.check(restored);
        assertEquals(0, check.exitCode(), label + ": btrfs check of the restored filesystem: " + check.describe());

        Map<String, String> source = RefTool.superFields(fs);
        Map<String, String> target = RefTool.superFields(restored);
        assertEquals(source.get("csum_type"), target.get("csum_type"), label + ": csum_type");
        assertEquals(source.get("nodesize"), target.get("nodesize"), label + ": nodesize");
        assertEquals(source.get("dev_item.total_bytes"), String.valueOf(Files.size(restored)),
                label + ": restored size = the device size");
        long flags = RestoredTargets.flags(restored);
        assertTrue((flags & RestoredTargets.FLAG_METADUMP_V2) != 0, label + ": flags " + Long.toHexString(flags));
        assertEquals(RestoredTargets.flags(fs) | RestoredTargets.FLAG_METADUMP_V2, flags, label + ": other flags kept");

        int mirrors = RestoredTargets.assertOurMirrors(restored, label);
        assertTrue(mirrors >= 1, label + ": no backup superblock fits in " + Files.size(restored) + " bytes");
        for (int i = 1; i <= mirrors; i++) {
            String out = RefTool.dumpSuper(restored, "-s", Integer.toString(i)).requireOk().stdout();
            assertTrue(out.matches("(?s).*\\ncsum\\t+0x[0-9a-f]+ \\[match\\].*"),
                    label + ": backup superblock " + i + " checksum:\n" + out);
        }

        if ("0 (crc32c)".equals(source.get("csum_type"))) {
            Proc.Result theirs = RestoredTargets.referenceRestore(image, ref);
            assertEquals(0, theirs.exitCode(), label + ": reference restore: " + theirs.describe());
            RestoredTargets.assertSameBytes(ref, restored, label);
            SparseFiles.delete(ref);
        }
        SparseFiles.delete(image);
        return restored;
    }
}
