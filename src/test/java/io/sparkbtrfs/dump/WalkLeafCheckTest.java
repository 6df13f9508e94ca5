package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Issue 16: {@code -w} plans the leaves of the trees it does not scan without reading them, on their parent's
 * word; the task that dumps one checks that it is a leaf. Here a level-1 node of the fs tree (level 2, 4 KiB
 * nodes) points, in place of its first leaf, to the last level-1 node, which the walk reaches there first: the
 * strict dump fails naming that block, as the walk failed when it read every block; with
 * {@code --best-effort} the block is dumped and reported.
 */
class WalkLeafCheckTest {
    @TempDir
    static Path shared;
    static Path fs;
    /** The level-1 node planted where a leaf should be. */
    static long planted;

    @BeforeAll
    static void makeFs() throws Exception {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(16).fileCount(3000).generate(shared.resolve("tree"));
        fs = Mkfs.image(shared.resolve("fs.img")).size(256L << 20).nodesize(4096).rootdir(shared.resolve("tree"))
                .run();
        long root = RefTool.rootOf(fs, "FS_TREE");
        long first;
        try (Volume v = Volume.open(List.of(fs.toString()), new Configuration())) {
            byte[] top = v.readTreeBlock(root);
            assertEquals(2, TreeBlock.level(top, 0), "the fixture's fs tree has two levels of nodes");
            int n = (int) TreeBlock.nritems(top, 0);
            first = TreeBlock.childPointer(top, 0, 0);
            planted = TreeBlock.childPointer(top, 0, n - 1);
            byte[] node = v.readTreeBlock(first);
            TreeBlock.setChildPointer(node, 0, 0, planted);
            v.superblock().checksumType().store(node, 0, node.length);
            try (RandomAccessFile f = new RandomAccessFile(fs.toFile(), "rw")) {
                for (long p : RefTool.physicalCopies(fs, first)) {
                    f.seek(p);
                    f.write(node);
                }
            }
        }
    }

    @Test
    void aNodeWhereALeafShouldBeFailsTheWalk(@TempDir Path dir) throws IOException {
        Path image = dir.resolve("strict.img");
        Ours.Run strict = Ours.dump(fs, image, "-w");
        assertEquals(1, strict.status(), strict.stderr());
        assertTrue(strict.stderr().contains("tree block " + planted + " has level 1, expected 0 (its parent points to a leaf)"),
                strict.stderr());
        assertFalse(Files.exists(image), "no image after a failed dump");

        Path best = dir.resolve("best.img");
        Path report = dir.resolve("report.json");
        Ours.Run run = Ours.dump(fs, best, "-w", "--best-effort", "--report", report.toString());
        assertEquals(0, run.status(), run.stderr());
        String json = Files.readString(report);
        assertTrue(json.contains("\"logical\":" + planted + ","), json);
        assertTrue(json.contains("expected 0"), json);
    }
}
