package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DataFormatException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Acceptance 3: on xxhash64, sha256 and blake2b filesystems every block of our image carries a checksum
 * valid for that algorithm (the reference writes crc32c into every block: its bug 3), and apart from the
 * checksum field every byte equals the reference's image.
 */
class ChecksumTypesTest {
    private static final int MAX_ITEM = 1 << 20;

    @TempDir
    static Path shared;
    static Path tree;

    @BeforeAll
    static void generate() throws IOException {
        RefTool.assumeAvailable();
        tree = shared.resolve("tree");
        TreeGenerator.withSeed(7).fileCount(1500).bigDirFiles(300).largeFiles(1, 65536, 131072).generate(tree);
    }

    /** Item contents of an image, in order. */
    static List<byte[]> contents(Path image) throws IOException, Exception {
        List<byte[]> items = new ArrayList<>();
        try (InputStream in = Files.newInputStream(image)) {
            ImageReader reader = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                for (int i = 0; i < c.size(); i++) {
                    items.add(c.content(i, MAX_ITEM));
                }
            }
        }
        return items;
    }

    static List<Long> bytenrs(Path image) throws Exception {
        List<Long> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(image)) {
            ImageReader reader = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                for (long b : c.bytenrs()) {
                    out.add(b);
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"xxhash", "sha256", "blake2"})
    void everyBlockCarriesTheFilesystemsChecksum(String csum, @TempDir Path dir) throws Exception {
        Path fs = dir.resolve("fs.img");
        Mkfs.image(fs).size(256L << 20).nodesize(16384).rootdir(tree).csum(csum).run();
        for (String level : new String[] {"0", "9"}) {
            Path ours = dir.resolve("ours" + level + ".img");
            Path ref = dir.resolve("ref" + level + ".img");
            Ours.dump(fs, ours, "-c", level).requireOk();
            RefTool.dump(fs, ref, "-c", level).requireOk();

            List<byte[]> mine = contents(ours);
            List<byte[]> theirs = contents(ref);
            assertEquals(bytenrs(ref), bytenrs(ours), "item order differs");
            Superblock sb = Superblock.parse(mine.get(0), "image superblock");
            ChecksumType type = sb.checksumType();
            assertTrue(type != ChecksumType.CRC32C, "mkfs did not apply --csum " + csum);
            assertArrayEquals(theirs.get(0), mine.get(0), "superblock is stored verbatim");
            int nodesize = sb.nodesize();
            long blocks = 0;
            for (int i = 1; i < mine.size(); i++) {
                byte[] item = mine.get(i);
                assertEquals(theirs.get(i).length, item.length);
                for (int off = 0; off < item.length; off += nodesize) {
                    assertTrue(type.verify(item, off, nodesize), "block " + (off / nodesize) + " of item " + i
                            + " at " + TreeBlock.bytenr(item, off) + " has a bad " + type.displayName() + " checksum");
                    assertTrue(Arrays.equals(item, off + 32, off + nodesize, theirs.get(i), off + 32, off + nodesize),
                            "block at " + TreeBlock.bytenr(item, off) + " differs from the reference beyond the checksum");
                    assertTrue(Arrays.equals(item, off + type.size(), off + 32, theirs.get(i), off + type.size(), off + 32)
                            || type.size() == 32, "unused checksum bytes must be kept as read");
                    blocks++;
                }
            }
            assertTrue(blocks > 50, "only " + blocks + " blocks checked");
        }
    }
}
