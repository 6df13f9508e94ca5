package io.sparkbtrfs.dump;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.TreeBlock;

/**
 * The tree blocks that the extent tree lists, in its order (what {@link ExtentScan} gives a full dump), found from
 * the base's list and the extent-tree leaves written since: planning a delta at the cost of what changed.
 *
 * <p>The extent tree is walked from its root, skipping every pointer whose generation is at most the base's (as
 * {@link ChangedBlocks} does): what is left is a sequence, in key order, of leaves written since the base and of
 * subtrees that are exactly as they were at the base (copy-on-write: same address, same content). The leaves
 * written since are scanned as a full dump scans them. A run of unchanged subtrees contributes the base's tree
 * blocks whose extent items lie between the run's first and last keys, read from its first and last leaves;
 * this is exact because the base's scan was plain ({@link ExtentScan.Result#plain}: no extent item skipped, every
 * tree-block extent one block), so the base lists every tree-block item of the run and nothing else there.
 *
 * <p>The full scan's overlap cursor is checked where the pieces meet: the first extent item after each piece
 * must begin at or after the end of the last one before it, and every piece scanned must be plain, so that the
 * result is the full scan's and is itself plain. Anything unexpected (a level that does not match, a leaf of an
 * unchanged run without extent items, an overlap, a scan error, addresses out of order) gives no splice, and the
 * caller scans the whole extent tree instead: that scan reports what is wrong, and a plan is never guessed.
 */
final class ExtentSplice {
    /** The base's listed tree blocks, ascending, and its generation. */
    record Base(long[] blocks, long generation) {
    }

    /** The listed tree blocks, in order; the extent-tree blocks read to find them. */
    record Spliced(long[] blocks, long blocksRead) {
    }

    /** Why no splice: the extent tree is scanned whole instead. */
    static final class NoSplice extends Exception {
        private static final long serialVersionUID = 1L;

        NoSplice(String why) {
            super(why, null, false, false);
        }
    }

    private final Volume volume;
    private final int nodesize;
    private final Base base;
    private long read;

    /** An unchanged subtree (changed false) or a leaf written since the base, in key order. */
    private record Piece(long bytenr, int level, boolean changed) {
    }

    private ExtentSplice(Volume volume, Base base) {
        this.volume = volume;
        this.nodesize = volume.superblock().nodesize();
        this.base = base;
    }

    /**
     * The listed tree blocks of the extent tree rooted at {@code root} ({@code level}, its root item's
     * {@code generation}), from {@code base}.
     */
    static Spliced of(Volume volume, long root, int level, long generation, Base base)
            throws NoSplice, BlockReadException {
        return new ExtentSplice(volume, base).run(root, level, generation);
    }

    private Spliced run(long root, int level, long generation) throws NoSplice, BlockReadException {
        List<Piece> pieces = new ArrayList<>();
        collect(root, level, generation, pieces);
        long[] out = new long[Math.max(16, base.blocks().length + 64)];
        int n = 0;
        long cursor = ExtentScan.FIRST_BYTENR;
        int at = 0;
        while (at < pieces.size()) {
            int end = at;
            boolean changed = pieces.get(at).changed();
            while (end < pieces.size() && pieces.get(end).changed() == changed) {
                end++;
            }
            long[] blocks;
            long first;
            long last;
            if (changed) {
                long[] leaves = new long[end - at];
                for (int i = at; i < end; i++) {
                    leaves[i - at] = pieces.get(i).bytenr();
                }
                ExtentScan.Result r = ExtentScan.scan(volume, leaves, 0, leaves.length, ExtentScan.FIRST_BYTENR);
                read += leaves.length;
                if (r.error() != null) {
                    throw new NoSplice("a changed extent-tree leaf: " + r.error());
                }
                if (!r.plain()) {
                    throw new NoSplice("overlapping extent items, or a tree block extent of several blocks");
                }
                blocks = expand(r);
                first = r.firstCandidate();
                last = r.finalCursor();
            } else {
                Bounds lo = bounds(pieces.get(at), true);
                Bounds hi = bounds(pieces.get(end - 1), false);
                blocks = unchanged(lo.key(), hi.key());
                first = lo.candidate();
                last = hi.candidate();
            }
            if (first != ExtentScan.NONE) {
                if (Long.compareUnsigned(cursor, first) > 0) {
                    throw new NoSplice("the extent at " + Long.toUnsignedString(first) + " overlaps the one before");
                }
                cursor = last;
            }
            for (long b : blocks) {
                if (n > 0 && Long.compareUnsigned(out[n - 1], b) >= 0) {
                    throw new NoSplice("tree blocks out of order at " + Long.toUnsignedString(b));
                }
                if (n == out.length) {
                    out = Arrays.copyOf(out, n * 2);
                }
                out[n++] = b;
            }
            at = end;
        }
        return new Spliced(Arrays.copyOf(out, n), read);
    }

    /** The pieces of the subtree at {@code bytenr}, which its parent says has {@code level} and {@code generation}. */
    private void collect(long bytenr, int level, long generation, List<Piece> pieces)
            throws NoSplice, BlockReadException {
        if (Long.compareUnsigned(generation, base.generation()) <= 0) {
            pieces.add(new Piece(bytenr, level, false));
            return;
        }
        if (level == 0) {
            pieces.add(new Piece(bytenr, 0, true));
            return;
        }
        byte[] node = read(bytenr, level);
        if (Long.compareUnsigned(TreeBlock.generation(node, 0), base.generation()) <= 0) {
            throw new NoSplice("extent-tree node " + Long.toUnsignedString(bytenr) + " is older than its pointer");
        }
        int n = (int) TreeBlock.nritems(node, 0);
        for (int slot = 0; slot < n; slot++) {
            collect(TreeBlock.childPointer(node, 0, slot), level - 1, TreeBlock.childGeneration(node, 0, slot), pieces);
        }
    }

    private byte[] read(long bytenr, int level) throws NoSplice, BlockReadException {
        byte[] b = volume.readTreeBlock(bytenr);
        read++;
        if (TreeBlock.level(b, 0) != level || TreeBlock.nritems(b, 0) == 0) {
            throw new NoSplice("extent-tree block " + Long.toUnsignedString(bytenr) + " has level "
                    + TreeBlock.level(b, 0) + " and " + TreeBlock.nritems(b, 0) + " items, its parent expects level "
                    + level);
        }
        return b;
    }

    /**
     * The first key and first extent item's start of an unchanged subtree ({@code first}), or its last key and the
     * end of its last extent item.
     */
    private record Bounds(Key key, long candidate) {
    }

    private Bounds bounds(Piece piece, boolean first) throws NoSplice, BlockReadException {
        long bytenr = piece.bytenr();
        byte[] b = read(bytenr, piece.level());
        for (int level = piece.level(); level > 0; level--) {
            int slot = first ? 0 : (int) TreeBlock.nritems(b, 0) - 1;
            bytenr = TreeBlock.childPointer(b, 0, slot);
            b = read(bytenr, level - 1);
        }
        int n = (int) TreeBlock.nritems(b, 0);
        for (int k = 0; k < n; k++) {
            int slot = first ? k : n - 1 - k;
            Key key = TreeBlock.itemKey(b, 0, slot);
            if (key.compareTo(ExtentScan.FROM) >= 0 && (key.type() == Key.EXTENT_ITEM
                    || key.type() == Key.METADATA_ITEM)) {
                long end = key.objectid() + (key.type() == Key.METADATA_ITEM ? nodesize : key.offset());
                return new Bounds(TreeBlock.itemKey(b, 0, first ? 0 : n - 1), first ? key.objectid() : end);
            }
        }
        throw new NoSplice("unchanged extent-tree leaf " + Long.toUnsignedString(bytenr) + " holds no extent item "
                + (first ? "first" : "last"));
    }

    /**
     * The base's blocks whose extent items lie in [{@code lo}, {@code hi}]: a block's item has its address as
     * objectid and type EXTENT_ITEM or METADATA_ITEM. A bound with the same objectid and one of those types is that
     * block's own item (two extent items at one address would overlap, and the base's scan was plain).
     */
    private long[] unchanged(Key lo, Key hi) {
        long[] blocks = base.blocks();
        int from = io.sparkbtrfs.format.UnsignedSearch.lowerBound(blocks, lo.objectid());
        if (from < blocks.length && blocks[from] == lo.objectid() && lo.type() > Key.METADATA_ITEM) {
            from++;
        }
        int to = io.sparkbtrfs.format.UnsignedSearch.lowerBound(blocks, hi.objectid());
        if (to < blocks.length && blocks[to] == hi.objectid() && hi.type() >= Key.EXTENT_ITEM) {
            to++;
        }
        return from < to ? Arrays.copyOfRange(blocks, from, to) : new long[0];
    }

    /** The block addresses of a plain run's pairs. */
    private long[] expand(ExtentScan.Result r) {
        long count = 0;
        for (int i = 0; i < r.pairs(); i++) {
            long length = r.blocks()[2 * i + 1];
            count += length < 0 ? -length : 1;
        }
        long[] out = new long[(int) count];
        int n = 0;
        for (int i = 0; i < r.pairs(); i++) {
            long start = r.blocks()[2 * i];
            long length = r.blocks()[2 * i + 1];
            for (long k = 0; k < (length < 0 ? -length : 1); k++) {
                out[n++] = start + k * nodesize;
            }
        }
        return out;
    }
}
