package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;

/**
 * A filesystem made by btrfs-progs 6.19's experimental mkfs ({@code mkfs.btrfs -O remap-tree -L remap-fixture
 * --rootdir TREE}, 128 MiB: 40 inline files, a 200 kB file, a symlink, an empty directory; block-group tree
 * on, as 6.19 makes by default), kept xz-compressed in the test resources. Its remap tree lives in a
 * METADATA_REMAP chunk, and its blocks have no back-reference in the extent tree: a dump that only follows
 * the extent tree (the reference's, and ours before) leaves the remap root out, and the image cannot be
 * restored. Default and {@code -w} dumps both hold it, and our restore puts it where the filesystem finds it.
 */
class RemapTreeTest {
    private static final String FIXTURE = "/fixtures/remap-tree-6.19.img.xz";

    @TempDir
    static Path shared;
    static Path fs;
    static Superblock sb;

    @BeforeAll
    static void unpack() throws Exception {
        Path xz = Path.of(RemapTreeTest.class.getResource(FIXTURE).toURI());
        fs = shared.resolve("remap.img");
        Proc.run(List.of("sh", "-c", "xz -dc \"$0\" | cp --sparse=always /dev/stdin \"$1\"", xz.toString(),
                fs.toString()), Proc.DEFAULT_TIMEOUT).requireOk();
        byte[] raw = new byte[Superblock.SIZE];
        try (var ch = java.nio.channels.FileChannel.open(fs)) {
            ch.read(java.nio.ByteBuffer.wrap(raw), Superblock.PRIMARY_OFFSET);
        }
        sb = Superblock.parse(raw, "fixture");
        assertNotEquals(0L, sb.remapRoot(), "the fixture has a remap tree");
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "-w"})
    void theDumpHoldsTheRemapRoot(String mode, @TempDir Path dir) throws Exception {
        Path image = dir.resolve("remap.metadump");
        if (mode.equals("-w")) {
            Ours.dump(fs, image, "-w").requireOk();
        } else {
            Ours.dump(fs, image).requireOk();
        }
        byte[] block = block(image, sb.remapRoot());
        assertNotNull(block, mode + ": no item holds the remap root " + sb.remapRoot());
        assertEquals(Key.REMAP_TREE_OBJECTID, TreeBlock.owner(block, 0), mode + ": owner of the remap root");
        assertEquals(sb.remapRoot(), TreeBlock.bytenr(block, 0));
        assertTrue(sb.checksumType().verify(block, 0, sb.nodesize()), mode + ": checksum");
    }

    @Test
    void ourRestoreKeepsTheRemapTree(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("remap.metadump");
        Ours.dump(fs, image, "-c", "1").requireOk();
        Path restored = dir.resolve("restored.img");
        assertEquals(0, io.sparkbtrfs.cli.Main.run(new String[] {"-r", image.toString(), restored.toString()},
                System.out, System.err));
        // Dumping the restored filesystem reads every tree through its own chunk tree: the remap root must be
        // where that chunk tree says, with the same bytes.
        Path again = dir.resolve("again.metadump");
        Ours.dump(restored, again).requireOk();
        byte[] original = block(image, sb.remapRoot());
        byte[] roundTrip = block(again, sb.remapRoot());
        assertNotNull(roundTrip, "the restored filesystem's dump lacks the remap root");
        assertArrayEquals(original, roundTrip);
    }

    /** The tree block at {@code logical} in an image, or null. */
    private static byte[] block(Path image, long logical) throws Exception {
        int nodesize = sb.nodesize();
        try (InputStream in = Files.newInputStream(image)) {
            ImageReader reader = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                for (int i = 0; i < c.size(); i++) {
                    byte[] content = c.content(i, 1 << 20);
                    long start = c.bytenrs()[i];
                    if (start != Superblock.PRIMARY_OFFSET && Long.compareUnsigned(logical - start, content.length) < 0) {
                        int off = (int) (logical - start);
                        return Arrays.copyOfRange(content, off, off + nodesize);
                    }
                }
            }
        }
        return null;
    }
}
