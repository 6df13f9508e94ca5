package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;

/**
 * The pruned walk of a delta on a kernel-written filesystem, judged block by block against the headers of every
 * tree block of the full plan: it carries exactly the blocks written since the base generation (and the chunk tree
 * whole), and reads none of the leaves it carries except the root tree's (whose ROOT_ITEMs it follows); the leaves
 * it carries unread are leaves.
 */
class ChangedBlocksTest {
    @TempDir
    Path tmp;

    @Test
    void carriesWhatChangedReadingOnlyNodesAndRootTreeLeaves() throws Exception {
        KernelFs.assumeAvailable();
        Path fs = Mkfs.image(tmp.resolve("fs.img")).size(256L << 20).run();
        Path mnt = tmp.resolve("mnt");
        SplittableRandom rnd = new SplittableRandom(7);
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            for (int d = 0; d < 8; d++) {
                for (int f = 0; f < 250; f++) {
                    m.writeFile("d" + d + "/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
                }
            }
        }
        long baseGeneration;
        try (Volume v = Volume.open(List.of(fs.toString()), new Configuration())) {
            baseGeneration = v.superblock().generation();
        }
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            for (int f = 0; f < 250; f += 5) {
                m.writeFile("d3/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
            }
            Files.delete(m.resolve("d5/file-1"));
            m.subvolumeCreate("sub");
            m.writeFile("sub/new", bytes(rnd, 800));
        }
        try (Volume v = Volume.open(List.of(fs.toString()), new Configuration())) {
            int nodesize = v.superblock().nodesize();
            ItemPlan full = Planner.plan(v, false);
            ChangedBlocks.Found found = ChangedBlocks.since(v, baseGeneration, full);
            long blocks = 0;
            long carried = 0;
            long readLeaves = 0;
            for (int i = 0; i < full.items(); i++) {
                if (full.kind(i) != ItemPlan.METADATA) {
                    continue;
                }
                for (int off = 0; off < full.length(i); off += nodesize) {
                    long at = full.start(i) + off;
                    byte[] b = v.readTreeBlock(at);
                    long owner = TreeBlock.owner(b, 0);
                    boolean changed = Long.compareUnsigned(TreeBlock.generation(b, 0), baseGeneration) > 0;
                    boolean expected = changed || owner == Key.CHUNK_TREE_OBJECTID;
                    blocks++;
                    assertEquals(expected, found.carried().contains(at), "block " + at + " of tree " + owner
                            + ", generation " + TreeBlock.generation(b, 0) + " (base " + baseGeneration + ")");
                    boolean unread = found.unreadLeaves().contains(at);
                    if (unread) {
                        assertEquals(0, TreeBlock.level(b, 0), "block " + at + " carried unread is not a leaf");
                    }
                    if (expected) {
                        carried++;
                        boolean rootLeaf = owner == Key.ROOT_TREE_OBJECTID && TreeBlock.level(b, 0) == 0;
                        assertEquals(TreeBlock.level(b, 0) == 0 && !rootLeaf, unread, "block " + at + " of tree "
                                + owner + " at level " + TreeBlock.level(b, 0));
                        readLeaves += rootLeaf ? 1 : 0;
                    }
                }
            }
            assertEquals(carried, found.carried().size());
            System.out.println("pruned walk: " + carried + " of " + blocks + " blocks carried, " + found.blocksRead()
                    + " read, " + found.unreadLeaves().size() + " leaves unread");
            assertTrue(carried < blocks / 2, "most blocks carried: " + carried + " of " + blocks);
            assertTrue(found.unreadLeaves().size() > 10, "too few leaves carried for the test to mean much");
            assertEquals(carried - found.unreadLeaves().size(), found.blocksRead(),
                    "the walk reads the nodes and the root tree's leaves it carries, and only those");
            assertTrue(readLeaves > 0);
        }
    }

    private static byte[] bytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + rnd.nextInt(26));
        }
        return b;
    }
}
