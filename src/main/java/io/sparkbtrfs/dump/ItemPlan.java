package io.sparkbtrfs.dump;

import java.io.Serializable;
import java.util.Arrays;

import io.sparkbtrfs.image.MetadumpFormat;

/**
 * The image's items in final order, as parallel primitive arrays (about 13 bytes an item, so tens of
 * millions of blocks fit on a driver). Item {@code i} belongs to cluster {@code i / 83}. Immutable.
 */
public final class ItemPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What an item's content is. */
    public static final byte SUPERBLOCK = 0;
    public static final byte METADATA = 1;
    public static final byte DATA = 2;
    /** A record of a delta image (its start is the record's ordinal): content held by the plan itself. */
    public static final byte RECORD = 3;

    private final long[] starts;
    private final int[] lengths;
    private final byte[] kinds;
    /** The contents of the RECORD items, by ordinal (none outside delta images). */
    private final byte[][] records;
    /**
     * Which tree blocks must be leaves, a bit per tree block in plan order (null: none): those a walk submitted
     * without reading them, on their parent's word. Their tasks check (issue 16).
     */
    private final long[] leafMarks;
    private final int nodesize;
    /** With leaf marks: the number of tree blocks before each cluster. */
    private final long[] blocksBefore;

    ItemPlan(long[] starts, int[] lengths, byte[] kinds, int count) {
        this(starts, lengths, kinds, count, new byte[0][], null, 0);
    }

    ItemPlan(long[] starts, int[] lengths, byte[] kinds, int count, byte[][] records, long[] leafMarks, int nodesize) {
        this.starts = Arrays.copyOf(starts, count);
        this.lengths = Arrays.copyOf(lengths, count);
        this.kinds = Arrays.copyOf(kinds, count);
        this.records = records.clone();
        for (int i = 0; i < count; i++) {
            if (kinds[i] == RECORD && (starts[i] < 0 || starts[i] >= this.records.length
                    || this.records[(int) starts[i]].length != lengths[i])) {
                throw new IllegalArgumentException("record item " + i + " has no content of its length");
            }
        }
        this.leafMarks = leafMarks == null ? null : leafMarks.clone();
        this.nodesize = nodesize;
        this.blocksBefore = leafMarks == null ? null : new long[clusters() + 1];
        if (blocksBefore != null) {
            long blocks = 0;
            for (int c = 0; c < clusters(); c++) {
                blocksBefore[c] = blocks;
                for (int i = firstItem(c); i < endItem(c); i++) {
                    blocks += kinds[i] == METADATA ? lengths[i] / nodesize : 0;
                }
            }
            blocksBefore[clusters()] = blocks;
        }
    }

    /** The content of RECORD item {@code item}. */
    public byte[] record(int item) {
        if (kinds[item] != RECORD) {
            throw new IllegalArgumentException("item " + item + " is not a record");
        }
        return records[(int) starts[item]];
    }

    /**
     * Whether the tree block at {@code offset} bytes into item {@code item} was planned as a leaf without being
     * read, so that whoever reads it must check that it is one.
     */
    public boolean mustBeLeaf(int item, int offset) {
        if (leafMarks == null || kinds[item] != METADATA) {
            return false;
        }
        int cluster = item / MetadumpFormat.MAX_ITEMS;
        long block = blocksBefore[cluster];
        for (int i = firstItem(cluster); i < item; i++) {
            block += kinds[i] == METADATA ? lengths[i] / nodesize : 0;
        }
        block += offset / nodesize;
        int word = (int) (block >>> 6);
        return word < leafMarks.length && (leafMarks[word] & (1L << block)) != 0;
    }

    public int items() {
        return starts.length;
    }

    public long start(int item) {
        return starts[item];
    }

    /** Content length (before compression). */
    public int length(int item) {
        return lengths[item];
    }

    public byte kind(int item) {
        return kinds[item];
    }

    public int clusters() {
        return (starts.length + MetadumpFormat.MAX_ITEMS - 1) / MetadumpFormat.MAX_ITEMS;
    }

    public int firstItem(int cluster) {
        return cluster * MetadumpFormat.MAX_ITEMS;
    }

    public int endItem(int cluster) {
        return Math.min(starts.length, (cluster + 1) * MetadumpFormat.MAX_ITEMS);
    }

    /** Sum of content lengths of clusters [from, to). */
    public long contentBytes(int fromCluster, int toCluster) {
        long sum = 0;
        int end = toCluster > fromCluster ? endItem(toCluster - 1) : firstItem(fromCluster);
        for (int i = firstItem(fromCluster); i < end; i++) {
            sum += lengths[i];
        }
        return sum;
    }

    /** Number of tree blocks in the plan. */
    public long metadataBlocks(int nodesize) {
        long n = 0;
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] == METADATA) {
                n += lengths[i] / nodesize;
            }
        }
        return n;
    }
}
