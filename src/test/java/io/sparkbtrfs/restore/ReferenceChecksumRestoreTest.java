package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Reference images of xxhash64, sha256 and blake2b filesystems carry CRC-32C in every tree block (its bug
 * 3); our restore gives each block the filesystem's own checksum, so that the restored filesystem checks
 * clean, and says how many it rewrote. Our own images of the same filesystems need nothing, and neither do
 * crc32c images.
 */
class ReferenceChecksumRestoreTest {
    private static final Pattern NOTE = Pattern.compile("re-checksummed (\\d+) tree blocks with the filesystem's (\\S+)");

    @TempDir
    static Path shared;
    static Path tree;

    @BeforeAll
    static void generate() throws IOException {
        RefTool.assumeAvailable();
        tree = shared.resolve("tree");
        TreeGenerator.withSeed(11).fileCount(1200).bigDirFiles(300).largeFiles(1, 65536, 131072).generate(tree);
    }

    @ParameterizedTest
    @CsvSource({"xxhash, xxhash64", "sha256, sha256", "blake2, blake2b"})
    void referenceImageRestoresToAFilesystemThatChecks(String csum, String displayName, @TempDir Path dir)
            throws Exception {
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).rootdir(tree).csum(csum).run();
        Path ref = dir.resolve("ref.img");
        RefTool.dump(fs, ref, "-c", "1").requireOk();
        long blocks = treeBlocks(ref);

        Path target = dir.resolve("restored.img");
        Ours.Run run = RestoredTargets.ourRestore(ref, target).requireOk();
        Matcher m = NOTE.matcher(run.stderr());
        assertTrue(m.find(), "no re-checksum note in the summary: " + run.stderr());
        assertEquals(displayName, m.group(2));
        assertEquals(blocks, Long.parseLong(m.group(1)), "every tree block of the image is re-checksummed");
        RestoredTargets.assertClean(RefTool.check(target));

        // Our own image of the same filesystem already carries the right checksums: nothing to rewrite.
        Path ours = dir.resolve("ours.img");
        Ours.dump(fs, ours, "-c", "1").requireOk();
        Path fromOurs = dir.resolve("from-ours.img");
        Ours.Run again = RestoredTargets.ourRestore(ours, fromOurs).requireOk();
        assertFalse(again.stderr().contains("re-checksummed"), again.stderr());
        RestoredTargets.assertClean(RefTool.check(fromOurs));
    }

    @Test
    void crc32cImagesAreLeftAsTheyAre(@TempDir Path dir) {
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).rootdir(tree).run();
        Path ref = dir.resolve("ref.img");
        RefTool.dump(fs, ref, "-c", "1").requireOk();
        Ours.Run run = RestoredTargets.ourRestore(ref, dir.resolve("restored.img")).requireOk();
        assertFalse(run.stderr().contains("re-checksummed"), run.stderr());
    }

    /** Tree blocks in an image: the content of every item but the superblock, in nodesize units. */
    private static long treeBlocks(Path image) throws Exception {
        int nodesize = 16384;
        long blocks = 0;
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(image)) {
            ImageReader reader = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                for (int i = 0; i < c.size(); i++) {
                    if (c.bytenrs()[i] != Superblock.PRIMARY_OFFSET) {
                        blocks += c.content(i, 1 << 20).length / nodesize;
                    }
                }
            }
        }
        return blocks;
    }
}
