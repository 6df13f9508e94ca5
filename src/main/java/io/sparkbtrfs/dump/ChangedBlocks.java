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
 * anything by now. Cost: the blocks found, plus the pointers to the unchanged subtrees next to them.
 */
public final class ChangedBlocks {
    private final Volume volume;
    private final long baseGeneration;
    private final LongHashSet carried = new LongHashSet();
    private final LongHashSet seen = new LongHashSet();
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

    /** What the walk found: the addresses to carry, and how many blocks it read. */
    public record Found(LongHashSet carried, long blocksRead) {
    }

    /** The blocks of {@code full} (the plan of a full dump now) to carry in a delta against {@code baseGeneration}. */
    public static Found since(Volume volume, long baseGeneration, ItemPlan full)
            throws BtrfsFormatException, BlockReadException {
        ChangedBlocks w = new ChangedBlocks(volume, baseGeneration, full);
        Superblock sb = volume.superblock();
        w.walk(sb.chunkRoot(), sb.chunkRootGeneration(), true, false, "chunk tree");
        w.walk(sb.root(), sb.generation(), false, true, "root tree");
        if (sb.remapRoot() != 0) {
            w.walk(sb.remapRoot(), Long.MAX_VALUE, false, false, "remap tree");
        }
        if (sb.logRoot() != 0) {
            w.walk(sb.logRoot(), sb.logRootGeneration(), true, true, "log root tree");
        }
        return new Found(w.carried, w.read);
    }

    /**
     * Visits the block at {@code bytenr}, which its parent says has {@code generation}: a block of the base (and
     * its whole subtree) is skipped unless {@code whole}. In root-tree leaves ({@code roots}), each ROOT_ITEM's
     * tree is walked in turn.
     */
    private void walk(long bytenr, long generation, boolean whole, boolean roots, String tree)
            throws BtrfsFormatException, BlockReadException {
        if (bytenr == 0 || (!whole && Long.compareUnsigned(generation, baseGeneration) <= 0) || !live(bytenr)
                || !seen.add(bytenr)) {
            return;
        }
        byte[] block = Trees.read(volume::readTreeBlock, bytenr, tree);
        read++;
        if (!whole && Long.compareUnsigned(TreeBlock.generation(block, 0), baseGeneration) <= 0) {
            return;
        }
        carried.add(bytenr);
        int n = (int) TreeBlock.nritems(block, 0);
        int level = TreeBlock.level(block, 0);
        if (level > 0) {
            for (int slot = 0; slot < n; slot++) {
                walk(TreeBlock.childPointer(block, 0, slot), TreeBlock.childGeneration(block, 0, slot), whole, roots,
                        tree);
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
            walk(RootItem.bytenr(block, data), RootItem.generation(block, data), whole, false,
                    "tree " + Long.toUnsignedString(TreeBlock.itemKey(block, 0, slot).objectid()));
        }
    }
}
