package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
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
 * it carries unread are leaves. The spread walk (top levels here, subtree walks elsewhere) gives the same blocks and
 * marks, on a filesystem whose snapshot shares a subvolume's blocks.
 */
class ChangedBlocksTest {
    @TempDir
    static Path tmp;
    /** A kernel-written filesystem with a subvolume, changed since generation {@link #baseGeneration}. */
    static Path fs;
    static long baseGeneration;

    @BeforeAll
    static void changedFilesystem() throws Exception {
        if (!KernelFs.available()) {
            return;
        }
        // Small nodes: trees of a few thousand files have three levels.
        fs = Mkfs.image(tmp.resolve("fs.img")).size(256L << 20).nodesize(4096).run();
        Path mnt = tmp.resolve("mnt");
        SplittableRandom rnd = new SplittableRandom(7);
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            for (int d = 0; d < 8; d++) {
                for (int f = 0; f < 250; f++) {
                    m.writeFile("d" + d + "/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
                }
            }
            m.subvolumeCreate("vol");
            for (int f = 0; f < 600; f++) {
                m.writeFile("vol/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
            }
        }
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
            // A snapshot shares the subvolume's blocks, some of them written since the base: the spread walk reaches
            // them from two trees.
            for (int f = 3; f < 600; f += 7) {
                m.writeFile("vol/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
            }
            m.snapshot("vol", "snap", false);
            m.sync();
            for (int f = 0; f < 100; f += 50) { // the nodes above the other files stay shared
                m.writeFile("vol/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
                m.writeFile("snap/file-" + (f + 1), bytes(rnd, 100 + rnd.nextInt(1500)));
            }
        }
    }

    @Test
    void carriesWhatChangedReadingOnlyNodesAndRootTreeLeaves() throws Exception {
        KernelFs.assumeAvailable();
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

    /**
     * The spread walk gives exactly the sequential walk's carried blocks and leaf marks, whether it hands every wave
     * over at once (subtree walks of one or three nodes), never hands over (then it reads what the sequential walk
     * reads), or meets a failed subtree walk or a block claimed two ways by the walks (then it walks again on this
     * thread, and says so).
     */
    @Test
    void spreadWalkGivesTheSequentialResult() throws Exception {
        KernelFs.assumeAvailable();
        try (Volume v = Volume.open(List.of(fs.toString()), new Configuration())) {
            ItemPlan full = Planner.plan(v, false);
            ChangedBlocks.Found sequential = ChangedBlocks.since(v, baseGeneration, full);
            for (int perTask : new int[] {1, 3}) {
                int[] calls = {0};
                ChangedBlocks.Found spread = ChangedBlocks.since(v, baseGeneration, full,
                        inThisThread(v, 1, perTask, calls, null));
                assertSame(sequential, spread, "subtree walks of " + perTask);
                assertEquals(1, calls[0]);
                assertTrue(spread.how().contains("subtree walks under") && !spread.how().contains("again"),
                        spread.how());
                if (perTask == 1) {
                    assertTrue(spread.blocksRead() > sequential.blocksRead(), "no changed node shared by the "
                            + "subvolume and its snapshot: the test does not meet blocks reached from two subtrees");
                }
                System.out.println("spread walk, " + perTask + " per task: " + spread.how() + ", "
                        + spread.blocksRead() + " reads (sequential " + sequential.blocksRead() + ")");
            }
            // Handed over at a lower level: the driver reads the levels above it.
            boolean deeper = false;
            for (int minNodes = 2; minNodes <= 64; minNodes *= 2) {
                ChangedBlocks.Found spread = ChangedBlocks.since(v, baseGeneration, full,
                        inThisThread(v, minNodes, 2, new int[1], null));
                assertSame(sequential, spread, "handed over from " + minNodes + " nodes");
                deeper |= spread.how().matches("breadth first in [1-9]\\d* waves on this thread then .*");
            }
            assertTrue(deeper, "no hand-over below the first level: the test does not meet one");
            int[] calls = {0};
            ChangedBlocks.Found waves = ChangedBlocks.since(v, baseGeneration, full,
                    inThisThread(v, Integer.MAX_VALUE, 1, calls, null));
            assertSame(sequential, waves, "breadth first on this thread");
            assertEquals(0, calls[0]);
            assertEquals(sequential.blocksRead(), waves.blocksRead(), waves.how());

            ChangedBlocks.Found failed = ChangedBlocks.since(v, baseGeneration, full, inThisThread(v, 1, 2, calls,
                    s -> new ChangedBlocks.Subtrees(s.leaves(), s.nodes(), s.stale(), s.blocksRead(),
                            "cannot read block 123")));
            assertSame(sequential, failed, "after a failed subtree walk");
            assertTrue(failed.how().contains("then again depth first on this thread: cannot read block 123"),
                    failed.how());

            // A subtree walk that also says a node it read is a leaf: the claims disagree, the driver walks again.
            ChangedBlocks.Found ambiguous = ChangedBlocks.since(v, baseGeneration, full, inThisThread(v, 1, 1000,
                    calls, s -> new ChangedBlocks.Subtrees(java.util.stream.LongStream.concat(java.util.Arrays.stream(
                            s.leaves()), java.util.stream.LongStream.of(s.nodes()[0])).toArray(), s.nodes(),
                            s.stale(), s.blocksRead(), null)));
            assertSame(sequential, ambiguous, "after walks that disagree");
            assertTrue(ambiguous.how().contains("is reached in two ways"), ambiguous.how());
        }
    }

    /**
     * A spreader running the subtree walks on this thread, in runs of {@code perTask} nodes, each result passed
     * through {@code tamper} if given; {@code calls} counts hand-overs.
     */
    private static ChangedBlocks.Spreader inThisThread(Volume v, int minNodes, int perTask, int[] calls,
            java.util.function.UnaryOperator<ChangedBlocks.Subtrees> tamper) {
        return new ChangedBlocks.Spreader() {
            @Override
            public int minNodes() {
                return minNodes;
            }

            @Override
            public List<ChangedBlocks.Subtrees> walk(LiveBlocks live, long base, long[] bytenrs, int[] levels) {
                calls[0]++;
                int[] bounds = ExtentScan.runs(bytenrs.length, perTask);
                List<ChangedBlocks.Subtrees> out = new java.util.ArrayList<>();
                for (int i = bounds.length - 2; i >= 0; i--) { // any order
                    ChangedBlocks.Subtrees s = ChangedBlocks.under(v, base, live, bytenrs, levels, bounds[i],
                            bounds[i + 1]);
                    out.add(tamper == null ? s : tamper.apply(s));
                }
                return out;
            }
        };
    }

    private static void assertSame(ChangedBlocks.Found expected, ChangedBlocks.Found actual, String what) {
        assertArrayEquals(sorted(expected.carried()), sorted(actual.carried()), what + ": carried blocks");
        assertArrayEquals(sorted(expected.unreadLeaves()), sorted(actual.unreadLeaves()), what + ": leaf marks");
    }

    private static long[] sorted(io.sparkbtrfs.device.LongHashSet set) {
        long[] a = set.toArray();
        java.util.Arrays.sort(a);
        return a;
    }

    private static byte[] bytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + rnd.nextInt(26));
        }
        return b;
    }
}
