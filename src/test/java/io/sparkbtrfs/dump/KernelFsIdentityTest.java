package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Acceptance: a kernel-written filesystem (made here through a loop mount as root: subvolumes, snapshots,
 * reflinks, zstd-compressed extents, and a log tree left by fsync without unmount) dumps byte-identically to the
 * reference with -c 0, -c 9 and -w; the reference restores our image and btrfs check accepts the result. Also a
 * two-device RAID1 filesystem dumped through device 1 with {@code --device} device 2. Skipped unless root, loop
 * devices and the btrfs module are available.
 *
 * <p>With btrfs-progs 6.2 the reference restore of the log-tree image prints no warning and exits 0, and btrfs
 * check accepts the result, so the log-tree image gets the same assertions as the clean one.
 */
class KernelFsIdentityTest {
    @TempDir
    static Path shared;
    static KernelFs.Result fs;

    @BeforeAll
    static void build() {
        RefTool.assumeAvailable();
        KernelFs.assumeAvailable();
        fs = KernelFs.builder(shared.resolve("kernel")).compress("zstd").logTree(true).build();

        assertEquals("0", RefTool.superFields(fs.image()).get("log_root"), "clean image has a log tree");
        assertNotEquals("0", RefTool.superFields(fs.logTreeImage()).get("log_root"), "no log tree after fsync");

        // The content really has what the test is about.
        String roots = RefTool.dumpTree(fs.image(), "-t", "root").requireOk().stdout();
        for (String subvolume : List.of("subvol", "nested", "snap-rw", "snap-ro")) {
            assertTrue(roots.contains("name " + subvolume), "no subvolume " + subvolume);
        }
        String all = RefTool.dumpTree(fs.image()).requireOk().stdout();
        assertTrue(all.contains("compression 3"), "no zstd-compressed extent");
        assertTrue(sharedExtents(all, "TREE_BLOCK") > 0, "no tree block shared by two trees (snapshots)");
        assertTrue(sharedExtents(all, "DATA") > 0, "no data extent referenced twice (reflinks)");
        String log = RefTool.dumpTree(fs.logTreeImage()).requireOk().stdout();
        assertTrue(log.contains("TREE_LOG"), "no log tree in the log-tree image");
    }

    /** Extent items whose flags start with {@code flag} and which say "refs N" with N &gt; 1. */
    private static int sharedExtents(String dumpTree, String flag) {
        int n = 0;
        for (String line : dumpTree.split("\n")) {
            String l = line.strip();
            if (l.startsWith("refs ") && l.contains(" flags " + flag)) {
                long refs = Long.parseLong(l.split("\\s+")[1]);
                if (refs > 1) {
                    n++;
                }
            }
        }
        return n;
    }

    static Stream<Arguments> cases() {
        List<Arguments> args = new ArrayList<>();
        for (String image : List.of("clean", "log-tree")) {
            for (List<String> opts : List.of(List.of("-c", "0"), List.of("-c", "9"), List.of("-w"))) {
                args.add(Arguments.of(image, opts));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void identicalToReferenceAndRestorable(String image, List<String> opts, @TempDir Path dir)
            throws IOException, DataFormatException, ImageFormatException {
        Path src = image.equals("clean") ? fs.image() : fs.logTreeImage();
        String[] o = opts.toArray(new String[0]);
        String tag = image + " " + String.join(" ", opts);
        Path ref = dir.resolve("ref.img");
        Path ours = dir.resolve("ours.img");
        RefTool.dump(src, ref, o).requireOk();
        Ours.dump(src, ours, o).requireOk();
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(ours), tag + ": image differs from the reference's");
        if (src == fs.logTreeImage()) {
            long logRoot = Long.parseLong(RefTool.superFields(src).get("log_root"));
            assertTrue(items(ours).stream().anyMatch(it -> it.bytenr() <= logRoot
                    && logRoot < it.bytenr() + it.content().length), tag + ": log root block " + logRoot + " not dumped");
        }

        Path restored = dir.resolve("restored.img");
        Proc.Result restore = RefTool.restore(ours, restored);
        assertEquals(0, restore.exitCode(), tag + ": reference restore failed: " + restore.describe());
        Proc.Result check = RefTool.check(restored);
        assertEquals(0, check.exitCode(), tag + ": btrfs check failed: " + check.describe());
    }

    /**
     * Two-device RAID1, dumped via device 1 with {@code --device} device 2. The reference (which finds the other
     * device by scanning, so both are attached to loop devices for it) stores the superblock of whichever device it
     * scanned last, we store device 1's; every other item must be the same. The reference restores our image and
     * btrfs check accepts it.
     */
    @Test
    @Timeout(180)
    void raid1ThroughDeviceOption(@TempDir Path dir) throws IOException, DataFormatException, ImageFormatException {
        KernelFs.Raid1 raid = KernelFs.raid1(dir.resolve("raid1"), 512L << 20, null);
        assertEquals("2", RefTool.superFields(raid.image1()).get("num_devices"));

        Path ours = dir.resolve("ours.img");
        Ours.dump(raid.image1(), ours, "--device", raid.image2().toString()).requireOk();

        Path ref = dir.resolve("ref.img");
        List<String> loops = new ArrayList<>();
        try {
            loops.add(KernelFs.attachLoop(raid.image1()));
            loops.add(KernelFs.attachLoop(raid.image2()));
            for (String l : loops) {
                Proc.run("btrfs", "device", "scan", l);
            }
            RefTool.dump(Path.of(loops.get(0)), ref).requireOk();
        } finally {
            for (String l : loops) {
                Proc.run("btrfs", "device", "scan", "--forget", l);
            }
            for (String l : loops) {
                KernelFs.detachLoop(l);
            }
        }

        List<Item> ourItems = items(ours);
        List<Item> refItems = items(ref);
        assertEquals(65536, ourItems.get(0).bytenr());
        assertEquals(65536, refItems.get(0).bytenr());
        assertArrayEquals(superblock(raid.image1()), ourItems.get(0).content(), "ours stores device 1's superblock");
        byte[] refSuper = refItems.get(0).content();
        assertTrue(Arrays.equals(superblock(raid.image1()), refSuper) || Arrays.equals(superblock(raid.image2()), refSuper),
                "the reference's superblock is neither device's");
        assertEquals(refItems.size(), ourItems.size(), "item count");
        for (int i = 1; i < ourItems.size(); i++) {
            assertEquals(refItems.get(i).bytenr(), ourItems.get(i).bytenr(), "item " + i + " address");
            assertArrayEquals(refItems.get(i).content(), ourItems.get(i).content(),
                    "item " + i + " at " + ourItems.get(i).bytenr() + " differs");
        }

        Path restored = dir.resolve("restored.img");
        Proc.Result restore = RefTool.restore(ours, restored);
        assertEquals(0, restore.exitCode(), "reference restore failed: " + restore.describe());
        Proc.Result check = RefTool.check(restored);
        assertEquals(0, check.exitCode(), "btrfs check failed: " + check.describe());
    }

    record Item(long bytenr, byte[] content) {
    }

    /** Every item of a metadump image, decompressed, in image order. */
    private static List<Item> items(Path image) throws IOException, DataFormatException, ImageFormatException {
        List<Item> out = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(image))) {
            ImageReader r = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
                for (int i = 0; i < c.size(); i++) {
                    out.add(new Item(c.bytenrs()[i], c.content(i, 1 << 26)));
                }
            }
        }
        assertTrue(out.size() > 1, image + " has " + out.size() + " items");
        return out;
    }

    private static byte[] superblock(Path device) throws IOException {
        byte[] b = new byte[4096];
        try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "r")) {
            f.seek(65536);
            f.readFully(b);
        }
        return b;
    }
}
