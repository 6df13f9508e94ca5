package io.sparkbtrfs.dump;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Trees;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.RootItem;
import io.sparkbtrfs.format.TreeBlock;

/**
 * The blocks a tree walk ({@code -w}, spec §3.3) reads, read ahead one level at a time ({@link Trees#inWaves}):
 * all the roots in one batch, then all their children that the walk reads, and so on. The walk reads internal
 * nodes only, plus the leaves of the trees it scans for ROOT_ITEMs (chunk, root and log root trees) and the root
 * block of every tree a ROOT_ITEM names; every other leaf it submits by address, unread ({@link Planner}).
 *
 * <p>The walk itself stays a depth-first pre-order walk over what is kept here, so the plan is the reference's
 * whatever the order of reading. What is kept is what the walk needs of a block: a node's child pointers (and
 * their generations where the walk reads the children), a scanned leaf's bytes, a failure. A block the read-ahead
 * did not foresee (on a damaged filesystem: a block reached again from a tree of the other kind) is read when
 * the walk gets there.
 */
final class WalkReads {
    /** Where a walk starts: a root block, whether its tree's leaves are scanned for ROOT_ITEMs, whether it is read. */
    record Start(long bytenr, boolean scanRoots, boolean read) {
    }

    /** What the walk needs of one block it reads; {@code failure} non-null if no copy was valid. */
    record Block(BlockReadException failure, int level, long generation, int nritems, long[] children,
            long[] childGenerations, byte[] leaf) {
    }

    private final Volume volume;
    private final Map<Long, Block> blocks = new HashMap<>();

    private WalkReads(Volume volume) {
        this.volume = volume;
    }

    /** Reads ahead every block the walks from {@code starts} will read. */
    static WalkReads ahead(Volume volume, List<Start> starts) throws BtrfsFormatException, BlockReadException {
        WalkReads reads = new WalkReads(volume);
        Map<Long, Boolean> pending = new HashMap<>(); // address of the next wave -> whether reached by a scanned tree
        Trees.Wave first = new Trees.Wave();
        for (Start s : starts) {
            if (s.read()) {
                reads.reach(s.bytenr(), s.scanRoots(), pending, first);
            }
        }
        Trees.inWaves(volume::readTreeBlocks, first.toArray(), (wave, address, raw, failure, next) -> {
            boolean scan = pending.remove(address);
            Block b = parse(raw, failure, scan);
            reads.blocks.put(address, b);
            if (b.failure() != null) {
                return;
            }
            if (b.level() > 0) {
                for (long child : b.children()) {
                    if (b.level() > 1 || scan) {
                        reads.reach(child, scan, pending, next);
                    }
                }
            } else if (scan) {
                forEachRoot(raw, (root, generation, objectid) -> reads.reach(root, false, pending, next));
            }
        });
        return reads;
    }

    /** Adds {@code bytenr} to the next wave unless it is read or on its way; a scanned tree's visit wins. */
    private void reach(long bytenr, boolean scan, Map<Long, Boolean> pending, Trees.Wave next) {
        if (blocks.containsKey(bytenr)) {
            return;
        }
        Boolean was = pending.get(bytenr);
        if (was == null) {
            pending.put(bytenr, scan);
            next.add(bytenr);
        } else if (scan && !was) {
            pending.put(bytenr, true);
        }
    }

    /**
     * The block at {@code bytenr} as the walk needs it when it visits with {@code scanRoots}: from the read-ahead,
     * or read now if it did not keep that much of it.
     */
    Block get(long bytenr, boolean scanRoots) {
        Block b = blocks.get(bytenr);
        if (b != null && (b.failure() != null || sufficient(b, scanRoots))) {
            return b;
        }
        try {
            b = parse(volume.readTreeBlock(bytenr), null, scanRoots);
        } catch (BlockReadException e) {
            b = parse(null, e, scanRoots);
        }
        blocks.put(bytenr, b);
        return b;
    }

    private static boolean sufficient(Block b, boolean scanRoots) {
        if (b.level() == 0) {
            return !scanRoots || b.leaf() != null;
        }
        return b.childGenerations() != null || (b.level() == 1 && !scanRoots);
    }

    /** What the walk keeps of a block read for a visit with {@code scan}. */
    private static Block parse(byte[] raw, BlockReadException failure, boolean scan) {
        if (failure != null) {
            return new Block(failure, -1, 0, 0, null, null, null);
        }
        int level = TreeBlock.level(raw, 0);
        long generation = TreeBlock.generation(raw, 0);
        int n = (int) TreeBlock.nritems(raw, 0);
        if (level == 0) {
            return new Block(null, 0, generation, n, null, null, scan ? raw : null);
        }
        long[] children = new long[n];
        // Generations are checked where the walk reads a child: below level 1, or in a scanned tree.
        long[] generations = level > 1 || scan ? new long[n] : null;
        for (int slot = 0; slot < n; slot++) {
            children[slot] = TreeBlock.childPointer(raw, 0, slot);
            if (generations != null) {
                generations[slot] = TreeBlock.childGeneration(raw, 0, slot);
            }
        }
        return new Block(null, level, generation, n, children, generations, null);
    }

    /** Receives a ROOT_ITEM of a scanned leaf: the root block of its tree, its generation, the tree's objectid. */
    @FunctionalInterface
    interface RootVisitor {
        void root(long bytenr, long generation, long objectid) throws BtrfsFormatException, BlockReadException;
    }

    /** The sound ROOT_ITEMs of {@code leaf}, in slot order (the walk reports the others). */
    static void forEachRoot(byte[] leaf, RootVisitor visitor) throws BtrfsFormatException, BlockReadException {
        int n = (int) TreeBlock.nritems(leaf, 0);
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemType(leaf, 0, slot) == Key.ROOT_ITEM && TreeBlock.itemInBounds(leaf, 0, leaf.length, slot, n)
                    && RootItem.hasBytenr(TreeBlock.itemSize(leaf, 0, slot))) {
                int data = TreeBlock.itemDataStart(leaf, 0, slot);
                visitor.root(RootItem.bytenr(leaf, data), RootItem.generation(leaf, data),
                        TreeBlock.itemKey(leaf, 0, slot).objectid());
            }
        }
    }
}
