package io.sparkbtrfs.dump;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.LongHashSet;
import io.sparkbtrfs.device.Trees;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.RootItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;

/**
 * The tree blocks a delta carries: every block written after the base generation, found by a walk from the roots
 * that skips each pointer (node pointer, root item, superblock root) whose generation is at most the base's,
 * since copy-on-write gives a rewritten block a new address and its parents new generations; and the chunk tree
 * and log trees whole, which a delta always carries. Header and pointer generations are trusted, never the extent
 * tree's (its generations can be 0 or stale after a repair). Only blocks of the full dump's plan are visited: a
 * tree being dropped after a subvolume deletion still points to children already freed, whose space may hold
 * anything by now. Leaves are not read (their parent says what they are), except those of the trees that name
 * other trees (root tree, log root tree): they are carried marked as leaves, and the task that dumps them checks
 * that they are ({@link ItemPlan#mustBeLeaf}). Cost: the internal nodes found and the root trees' leaves, read into
 * reused buffers.
 */
public final class ChangedBlocks {
    private final Volume volume;
    private final long baseGeneration;
    private final LongHashSet carried = new LongHashSet();
    private final LongHashSet seen = new LongHashSet();
    /** The carried blocks that were not read: leaves by their parent's word. */
    private final LongHashSet unreadLeaves = new LongHashSet();
    /** Block buffers, one per level of the walk in progress. */
    private final java.util.ArrayDeque<byte[]> buffers = new java.util.ArrayDeque<>();
    /** The plan's tree-block items, by start (ascending), and their lengths. */
    private final long[] liveStarts;
    private final int[] liveLengths;
    private long read;

    private ChangedBlocks(Volume volume, long baseGeneration, ItemPlan full) {
        this.volume = volume;
        this.baseGeneration = baseGeneration;
        int n = 0;
        for (int i = 0; i < full.items(); i++) {
            n += full.kind(i) == ItemPlan.METADATA ? 1 : 0;
        }
        long[] sorted = new long[n];
        int[] index = new int[n];
        long[] starts = new long[n];
        for (int i = 0, k = 0; i < full.items(); i++) {
            if (full.kind(i) == ItemPlan.METADATA) {
                starts[k] = full.start(i);
                sorted[k] = full.start(i);
                index[k++] = i;
            }
        }
        java.util.Arrays.sort(sorted);
        liveStarts = sorted;
        liveLengths = new int[n];
        for (int k = 0; k < n; k++) {
            liveLengths[java.util.Arrays.binarySearch(sorted, starts[k])] = full.length(index[k]);
        }
    }

    /** Whether a tree-block item of the plan holds {@code bytenr}. */
    private boolean live(long bytenr) {
        int k = java.util.Arrays.binarySearch(liveStarts, bytenr);
        if (k < 0) {
            k = -k - 2;
        }
        return k >= 0 && bytenr - liveStarts[k] < liveLengths[k];
    }

    /**
     * What the walk found: the addresses to carry, those of them carried unread as leaves (a subset), and how many
     * blocks it read.
     */
    public record Found(LongHashSet carried, LongHashSet unreadLeaves, long blocksRead) {
    }

    /** The blocks of {@code full} (the plan of a full dump now) to carry in a delta against {@code baseGeneration}. */
    public static Found since(Volume volume, long baseGeneration, ItemPlan full)
            throws BtrfsFormatException, BlockReadException {
        ChangedBlocks w = new ChangedBlocks(volume, baseGeneration, full);
        Superblock sb = volume.superblock();
        w.walk(sb.chunkRoot(), sb.chunkRootLevel(), sb.chunkRootGeneration(), true, false, "chunk tree");
        w.walk(sb.root(), sb.rootLevel(), sb.generation(), false, true, "root tree");
        if (sb.remapRoot() != 0) {
            w.walk(sb.remapRoot(), sb.remapRootLevel(), Long.MAX_VALUE, false, false, "remap tree");
        }
        if (sb.logRoot() != 0) {
            w.walk(sb.logRoot(), sb.logRootLevel(), sb.logRootGeneration(), true, true, "log root tree");
        }
        return new Found(w.carried, w.unreadLeaves, w.read);
    }

    /**
     * Visits the block at {@code bytenr}, which its parent says has {@code level} (-1: unknown) and
     * {@code generation}: a block of the base (and its whole subtree) is skipped unless {@code whole}. In
     * root-tree leaves ({@code roots}), each ROOT_ITEM's tree is walked in turn.
     */
    private void walk(long bytenr, int level, long generation, boolean whole, boolean roots, String tree)
            throws BtrfsFormatException, BlockReadException {
        if (bytenr == 0 || (!whole && Long.compareUnsigned(generation, baseGeneration) <= 0) || !live(bytenr)
                || !seen.add(bytenr)) {
            return;
        }
        if (level == 0 && !roots) {
            carried.add(bytenr);
            unreadLeaves.add(bytenr);
            return;
        }
        int nodesize = volume.superblock().nodesize();
        byte[] block = buffers.isEmpty() ? new byte[nodesize] : buffers.pop();
        try {
            BlockReadException failure = volume.readTreeBlocks(bytenr, nodesize, block)[0];
            if (failure != null) {
                throw Trees.named(failure, tree);
            }
            read++;
            visit(bytenr, block, whole, roots, tree);
        } finally {
            buffers.push(block);
        }
    }

    private void visit(long bytenr, byte[] block, boolean whole, boolean roots, String tree)
            throws BtrfsFormatException, BlockReadException {
        if (!whole && Long.compareUnsigned(TreeBlock.generation(block, 0), baseGeneration) <= 0) {
            return;
        }
        carried.add(bytenr);
        int n = (int) TreeBlock.nritems(block, 0);
        int level = TreeBlock.level(block, 0);
        if (level > 0) {
            for (int slot = 0; slot < n; slot++) {
                walk(TreeBlock.childPointer(block, 0, slot), level - 1, TreeBlock.childGeneration(block, 0, slot),
                        whole, roots, tree);
            }
            return;
        }
        if (!roots) {
            return;
        }
        int nodesize = volume.superblock().nodesize();
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemType(block, 0, slot) != Key.ROOT_ITEM) {
                continue;
            }
            if (!TreeBlock.itemInBounds(block, 0, nodesize, slot, n)
                    || !RootItem.hasBytenr(TreeBlock.itemSize(block, 0, slot))) {
                throw new BtrfsFormatException("root item " + TreeBlock.itemKey(block, 0, slot) + " in block "
                        + Long.toUnsignedString(bytenr) + " is truncated or outside its block");
            }
            int data = TreeBlock.itemDataStart(block, 0, slot);
            int rootLevel = RootItem.hasLevel(TreeBlock.itemSize(block, 0, slot)) ? RootItem.level(block, data) : -1;
            walk(RootItem.bytenr(block, data), rootLevel < TreeBlock.MAX_LEVEL ? rootLevel : -1,
                    RootItem.generation(block, data), whole, false,
                    "tree " + Long.toUnsignedString(TreeBlock.itemKey(block, 0, slot).objectid()));
        }
    }
}
