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

    /** Receives one block of a batch: the validated block, or (block null) the failure of its last copy. */
    @FunctionalInterface
    public interface BlockSink {
        void block(int index, byte[] block, BlockReadException failure) throws BtrfsFormatException, BlockReadException;
    }

    /**
     * Reads many tree blocks at once and hands them to the sink in the order asked ({@code Volume::readTreeBlocks}:
     * one vectored read per device and batch where the devices are remote).
     */
    @FunctionalInterface
    public interface BatchReader {
        void read(long[] addresses, BlockSink sink) throws BtrfsFormatException, BlockReadException;

        /** One block after another through {@code reader}. */
        static BatchReader serial(BlockReader reader) {
            return (addresses, sink) -> {
                for (int i = 0; i < addresses.length; i++) {
                    byte[] block = null;
                    BlockReadException failure = null;
                    try {
                        block = reader.read(addresses[i]);
                    } catch (BlockReadException e) {
                        failure = e;
                    }
                    sink.block(i, block, failure);
                }
            };
        }
    }

    /** The addresses of the next wave of a breadth-first read, in the order they are added. */
    public static final class Wave {
        private long[] addresses = new long[64];
        private int size;

        public void add(long address) {
            if (size == addresses.length) {
                addresses = java.util.Arrays.copyOf(addresses, size * 2);
            }
            addresses[size++] = address;
        }

        public int size() {
            return size;
        }

        public long[] toArray() {
            return java.util.Arrays.copyOf(addresses, size);
        }
    }

    /** Receives each block of wave {@code wave} (0: the first addresses) and adds what the next wave reads. */
    @FunctionalInterface
    public interface WaveVisitor {
        void block(int wave, long address, byte[] block, BlockReadException failure, Wave next)
                throws BtrfsFormatException, BlockReadException;
    }

    /**
     * Breadth-first reading: the blocks at {@code first} in one batch, then every block their visits named, in one
     * batch, and so on until a wave names nothing. Reading trees a level at a time costs a request per level and
     * device rather than per block where requests are round trips. Each visit sees its wave in the order the
     * addresses were added; nothing is deduplicated here.
     */
    public static void inWaves(BatchReader reader, long[] first, WaveVisitor visitor)
            throws BtrfsFormatException, BlockReadException {
        long[] wave = first;
        for (int depth = 0; wave.length > 0; depth++) {
            Wave next = new Wave();
            long[] current = wave;
            int at = depth;
            reader.read(current, (i, block, failure) -> visitor.block(at, current[i], block, failure, next));
            wave = next.toArray();
        }
    }

    public static void forEachLeaf(BlockReader reader, long root, int rootLevel, String tree, LeafVisitor visitor)
            throws BtrfsFormatException, BlockReadException {
        forEachLeafFrom(BatchReader.serial(reader), root, rootLevel, tree, null, visitor);
    }

    public static void forEachLeaf(BatchReader reader, long root, int rootLevel, String tree, LeafVisitor visitor)
            throws BtrfsFormatException, BlockReadException {
        forEachLeafFrom(reader, root, rootLevel, tree, null, visitor);
    }

    public static void forEachLeafFrom(BlockReader reader, long root, int rootLevel, String tree, Key from,
            LeafVisitor visitor) throws BtrfsFormatException, BlockReadException {
        forEachLeafFrom(BatchReader.serial(reader), root, rootLevel, tree, from, visitor);
    }

    /**
     * Visits, in key order, every leaf that may hold keys ≥ {@code from} (all leaves if null). Each child
     * must be exactly one level below its parent, which also bounds the work on a corrupted tree. The internal
     * nodes are read a level at a time ({@link #leavesFrom}), then the leaves in batches.
     */
    public static void forEachLeafFrom(BatchReader reader, long root, int rootLevel, String tree, Key from,
            LeafVisitor visitor) throws BtrfsFormatException, BlockReadException {
        long[] leaves = leavesFrom(reader, root, rootLevel, tree, from);
        reader.read(leaves, (i, block, failure) -> {
            byte[] leaf = checked(block, failure, leaves[i], 0, tree);
            visitor.leaf(leaf, (int) TreeBlock.nritems(leaf, 0));
        });
    }

    public static long[] leavesFrom(BlockReader reader, long root, int rootLevel, String tree, Key from)
            throws BtrfsFormatException, BlockReadException {
        return leavesFrom(BatchReader.serial(reader), root, rootLevel, tree, from);
    }

    /**
     * The addresses of the leaves {@link #forEachLeafFrom} would visit, in key order, reading only the
     * internal nodes (a small fraction of the tree), one level per batch: the leaves themselves can then be
     * read elsewhere, in parallel. Leaves are not read, so their level is the reader's to check; a block
     * referenced twice is an error.
     */
    public static long[] leavesFrom(BatchReader reader, long root, int rootLevel, String tree, Key from)
            throws BtrfsFormatException, BlockReadException {
        if (rootLevel == 0) {
            return new long[] {root};
        }
        LongHashSet seen = new LongHashSet();
        markOnce(seen, root, tree);
        Wave leaves = new Wave();
        // Wave k holds the nodes of level rootLevel - k in key order, so that their children stay in key order.
        inWaves(reader, new long[] {root}, (wave, address, block, failure, next) -> {
            int level = rootLevel - wave;
            byte[] node = checked(block, failure, address, level, tree);
            int nritems = (int) TreeBlock.nritems(node, 0);
            for (int slot = firstChild(node, nritems, from); slot < nritems; slot++) {
                long child = TreeBlock.childPointer(node, 0, slot);
                markOnce(seen, child, tree);
                (level > 1 ? next : leaves).add(child);
            }
        });
        return leaves.toArray();
    }

    /** {@code block} if it was read and stands at {@code expectedLevel}; else the failure, naming the tree. */
    private static byte[] checked(byte[] block, BlockReadException failure, long bytenr, int expectedLevel, String tree)
            throws BtrfsFormatException, BlockReadException {
        if (failure != null) {
            throw named(failure, tree);
        }
        String problem = levelProblem(tree, bytenr, TreeBlock.level(block, 0), expectedLevel);
        if (problem != null) {
            throw new BtrfsFormatException(problem);
        }
        return block;
    }

    /** {@code e} with the tree it happened in appended to its message. */
    public static BlockReadException named(BlockReadException e, String tree) {
        return new BlockReadException(e.logical(), e.getMessage() + " (" + tree + ")");
    }

    /** A block reached twice is a corrupted tree; following it again could multiply the work without bound. */
    private static void markOnce(LongHashSet seen, long bytenr, String tree) throws BtrfsFormatException {
        if (!seen.add(bytenr)) {
            throw new BtrfsFormatException(tree + " block " + Long.toUnsignedString(bytenr) + " is referenced twice");
        }
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
            throw named(e, tree);
        }
    }
}
