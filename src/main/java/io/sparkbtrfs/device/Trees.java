package io.sparkbtrfs.device;

import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.TreeBlock;

/** Ordered traversal of a B-tree whose blocks come from a {@link BlockReader}. */
public final class Trees {
    private Trees() {
    }

    /** Reads one validated tree block. */
    @FunctionalInterface
    public interface BlockReader {
        byte[] read(long logical) throws BlockReadException;
    }

    /** Receives each leaf (whole block at offset 0) with its validated item count. */
    @FunctionalInterface
    public interface LeafVisitor {
        void leaf(byte[] block, int nritems) throws BtrfsFormatException, BlockReadException;
    }

    public static void forEachLeaf(BlockReader reader, long root, int rootLevel, String tree, LeafVisitor visitor)
            throws BtrfsFormatException, BlockReadException {
        forEachLeafFrom(reader, root, rootLevel, tree, null, visitor);
    }

    /**
     * Visits, in key order, every leaf that may hold keys ≥ {@code from} (all leaves if null). Each child
     * must be exactly one level below its parent, which also bounds the recursion on a corrupted tree.
     */
    public static void forEachLeafFrom(BlockReader reader, long root, int rootLevel, String tree, Key from,
            LeafVisitor visitor) throws BtrfsFormatException, BlockReadException {
        visit(reader, root, rootLevel, tree, from, visitor, new LongHashSet());
    }

    /**
     * The addresses of the leaves {@link #forEachLeafFrom} would visit, in key order, reading only the
     * internal nodes (a small fraction of the tree): the leaves themselves can then be read elsewhere, in
     * parallel. Leaves are not read, so their level is the reader's to check; a block referenced twice is
     * an error as in {@link #forEachLeafFrom}.
     */
    public static long[] leavesFrom(BlockReader reader, long root, int rootLevel, String tree, Key from)
            throws BtrfsFormatException, BlockReadException {
        if (rootLevel == 0) {
            return new long[] {root};
        }
        long[][] out = {new long[256]};
        int[] n = {0};
        LongHashSet seen = new LongHashSet();
        collectLeaves(reader, root, rootLevel, tree, from, seen, out, n);
        return java.util.Arrays.copyOf(out[0], n[0]);
    }

    private static void collectLeaves(BlockReader reader, long bytenr, int expectedLevel, String tree, Key from,
            LongHashSet seen, long[][] out, int[] n) throws BtrfsFormatException, BlockReadException {
        if (!seen.add(bytenr)) {
            throw new BtrfsFormatException(tree + " block " + Long.toUnsignedString(bytenr) + " is referenced twice");
        }
        byte[] block = read(reader, bytenr, tree);
        int level = TreeBlock.level(block, 0);
        if (level != expectedLevel) {
            throw new BtrfsFormatException(tree + " block " + Long.toUnsignedString(bytenr) + " has level " + level
                    + ", expected " + expectedLevel);
        }
        int nritems = (int) TreeBlock.nritems(block, 0);
        for (int slot = firstChild(block, nritems, from); slot < nritems; slot++) {
            long child = TreeBlock.childPointer(block, 0, slot);
            if (level > 1) {
                collectLeaves(reader, child, level - 1, tree, from, seen, out, n);
                continue;
            }
            if (!seen.add(child)) {
                throw new BtrfsFormatException(tree + " block " + Long.toUnsignedString(child) + " is referenced twice");
            }
            if (n[0] == out[0].length) {
                out[0] = java.util.Arrays.copyOf(out[0], n[0] * 2);
            }
            out[0][n[0]++] = child;
        }
    }

    /** The last child whose first key is <= from may still hold keys >= from. */
    private static int firstChild(byte[] block, int nritems, Key from) {
        int first = 0;
        if (from != null) {
            for (int slot = 1; slot < nritems; slot++) {
                if (TreeBlock.nodeKey(block, 0, slot).compareTo(from) <= 0) {
                    first = slot;
                } else {
                    break;
                }
            }
        }
        return first;
    }

    /** Reads one block; a failure names the tree it belongs to. */
    public static byte[] read(BlockReader reader, long bytenr, String tree) throws BlockReadException {
        try {
            return reader.read(bytenr);
        } catch (BlockReadException e) {
            throw new BlockReadException(e.logical(), e.getMessage() + " (" + tree + ")");
        }
    }

    private static void visit(BlockReader reader, long bytenr, int expectedLevel, String tree, Key from,
            LeafVisitor visitor, LongHashSet seen) throws BtrfsFormatException, BlockReadException {
        // A block reached twice is a corrupted tree; following it again could multiply the work without bound.
        if (!seen.add(bytenr)) {
            throw new BtrfsFormatException(tree + " block " + Long.toUnsignedString(bytenr) + " is referenced twice");
        }
        byte[] block = read(reader, bytenr, tree);
        int level = TreeBlock.level(block, 0);
        if (level != expectedLevel) {
            throw new BtrfsFormatException(tree + " block " + Long.toUnsignedString(bytenr) + " has level " + level
                    + ", expected " + expectedLevel);
        }
        int nritems = (int) TreeBlock.nritems(block, 0);
        if (level == 0) {
            visitor.leaf(block, nritems);
            return;
        }
        for (int slot = firstChild(block, nritems, from); slot < nritems; slot++) {
            visit(reader, TreeBlock.childPointer(block, 0, slot), level - 1, tree, from, visitor, seen);
        }
    }
}
