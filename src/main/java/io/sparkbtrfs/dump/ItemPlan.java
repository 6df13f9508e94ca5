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

    ItemPlan(long[] starts, int[] lengths, byte[] kinds, int count) {
        this(starts, lengths, kinds, count, new byte[0][]);
    }

    ItemPlan(long[] starts, int[] lengths, byte[] kinds, int count, byte[][] records) {
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
    }

    /** The content of RECORD item {@code item}. */
    public byte[] record(int item) {
        if (kinds[item] != RECORD) {
            throw new IllegalArgumentException("item " + item + " is not a record");
        }
        return records[(int) starts[item]];
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
