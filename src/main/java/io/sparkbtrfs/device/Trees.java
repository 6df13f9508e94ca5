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
        java.util.stream.LongStream.Builder leaves = java.util.stream.LongStream.builder();
        collectLeaves(reader, root, rootLevel, tree, from, new LongHashSet(), leaves);
        return leaves.build().toArray();
    }

    private static void collectLeaves(BlockReader reader, long bytenr, int expectedLevel, String tree, Key from,
            LongHashSet seen, java.util.stream.LongStream.Builder leaves) throws BtrfsFormatException, BlockReadException {
        byte[] block = readOnce(reader, bytenr, expectedLevel, tree, seen);
        int nritems = (int) TreeBlock.nritems(block, 0);
        for (int slot = firstChild(block, nritems, from); slot < nritems; slot++) {
            long child = TreeBlock.childPointer(block, 0, slot);
            if (expectedLevel > 1) {
                collectLeaves(reader, child, expectedLevel - 1, tree, from, seen, leaves);
            } else {
                markOnce(seen, child, tree);
                leaves.add(child);
            }
        }
    }

    /** A block reached twice is a corrupted tree; following it again could multiply the work without bound. */
    private static void markOnce(LongHashSet seen, long bytenr, String tree) throws BtrfsFormatException {
        if (!seen.add(bytenr)) {
            throw new BtrfsFormatException(tree + " block " + Long.toUnsignedString(bytenr) + " is referenced twice");
        }
    }

    /** Reads a block not reached before in this traversal and checks that it sits at {@code expectedLevel}. */
    private static byte[] readOnce(BlockReader reader, long bytenr, int expectedLevel, String tree, LongHashSet seen)
            throws BtrfsFormatException, BlockReadException {
        markOnce(seen, bytenr, tree);
        byte[] block = read(reader, bytenr, tree);
        String problem = levelProblem(tree, bytenr, TreeBlock.level(block, 0), expectedLevel);
        if (problem != null) {
            throw new BtrfsFormatException(problem);
        }
        return block;
    }

    /** Why a block of {@code level} cannot stand where {@code expected} is; null if it can. */
    public static String levelProblem(String tree, long bytenr, int level, int expected) {
        return level == expected ? null
                : tree + " block " + Long.toUnsignedString(bytenr) + " has level " + level + ", expected " + expected;
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
        byte[] block = readOnce(reader, bytenr, expectedLevel, tree, seen);
        int nritems = (int) TreeBlock.nritems(block, 0);
        if (expectedLevel == 0) {
            visitor.leaf(block, nritems);
            return;
        }
        for (int slot = firstChild(block, nritems, from); slot < nritems; slot++) {
            visit(reader, TreeBlock.childPointer(block, 0, slot), expectedLevel - 1, tree, from, visitor, seen);
        }
    }
}
