package io.sparkbtrfs.dump;

import java.util.Arrays;

/**
 * Collects extents in submission order and merges them into items exactly as the reference does
 * (spec §2.6): an extent joins the pending item only if it is of the same kind, starts where the pending
 * item ends and keeps it within {@code maxPending}; nothing is sorted.
 */
public final class PlanBuilder {
    private final long maxPending;
    private long[] starts = new long[1024];
    private int[] lengths = new int[1024];
    private byte[] kinds = new byte[1024];
    private int count;

    /** Tree blocks added so far, and which of them must be leaves (bit per block, in order). */
    private long treeBlocks;
    private long[] leafMarks;
    private int markedNodesize;

    private long pendingStart;
    private long pendingSize;
    private byte pendingKind = ItemPlan.METADATA;

    public PlanBuilder(long maxPending) {
        this.maxPending = maxPending;
    }

    /** The superblock is its own item, first, never merged with what follows. */
    public void addSuperblock(long start, int size) {
        flush();
        append(start, size, ItemPlan.SUPERBLOCK);
        pendingStart = start + size;
        pendingKind = ItemPlan.SUPERBLOCK;
    }

    public void add(long start, long size, boolean data) {
        add(start, size, data ? ItemPlan.DATA : ItemPlan.METADATA);
    }

    /** Adds an extent of {@code kind} (METADATA or DATA), merged as the reference merges. */
    public void add(long start, long size, byte kind) {
        if (kind == ItemPlan.METADATA && markedNodesize > 0) {
            treeBlocks += size / markedNodesize;
        }
        if (kind != pendingKind || pendingSize + size > maxPending || pendingStart + pendingSize != start) {
            flush();
            pendingStart = start;
        }
        pendingSize += size;
        pendingKind = kind;
    }

    /**
     * Adds a tree block that the planner did not read but that its parent says is a leaf: the task that dumps it
     * checks its level ({@link ItemPlan#mustBeLeaf}). Every tree block of a plan with such blocks has {@code nodesize}
     * bytes.
     */
    public void addLeaf(long start, int nodesize) {
        if (markedNodesize == 0) {
            markedNodesize = nodesize;
            treeBlocks = metadataBytes() / nodesize;
            leafMarks = new long[64];
        } else if (markedNodesize != nodesize) {
            throw new IllegalArgumentException("leaves of " + nodesize + " and " + markedNodesize + " bytes");
        }
        long block = treeBlocks;
        if ((block >>> 6) >= leafMarks.length) {
            leafMarks = Arrays.copyOf(leafMarks, (int) Math.max(leafMarks.length * 2L, (block >>> 6) + 1));
        }
        leafMarks[(int) (block >>> 6)] |= 1L << block;
        add(start, nodesize, false);
    }

    /** Bytes of tree blocks so far (pending item included). */
    private long metadataBytes() {
        long sum = pendingKind == ItemPlan.METADATA ? pendingSize : 0;
        for (int i = 0; i < count; i++) {
            if (kinds[i] == ItemPlan.METADATA) {
                sum += lengths[i];
            }
        }
        return sum;
    }

    /** Ends the pending item, so that {@link #covers} sees it; returns the number of items so far. */
    public int seal() {
        flush();
        return count;
    }

    /**
     * Whether one of the first {@code sorted} items, which must be in ascending order of start (the extent
     * tree's order), holds {@code address}.
     */
    public boolean covers(int sorted, long address) {
        int i = io.sparkbtrfs.format.UnsignedSearch.floor(starts, sorted, address);
        return i >= 0 && Long.compareUnsigned(address - starts[i], lengths[i]) < 0;
    }

    private void flush() {
        if (pendingSize > 0) {
            if (pendingSize > Integer.MAX_VALUE) {
                throw new IllegalStateException("item of " + pendingSize + " bytes");
            }
            append(pendingStart, (int) pendingSize, pendingKind);
        }
        pendingSize = 0;
    }

    private void append(long start, int size, byte kind) {
        if (count == starts.length) {
            int n = count * 2;
            starts = Arrays.copyOf(starts, n);
            lengths = Arrays.copyOf(lengths, n);
            kinds = Arrays.copyOf(kinds, n);
        }
        starts[count] = start;
        lengths[count] = size;
        kinds[count] = kind;
        count++;
    }

    /** Appends record {@code ordinal} of {@code size} bytes as an item of its own (delta images). */
    public void addRecord(int ordinal, int size) {
        flush();
        append(ordinal, size, ItemPlan.RECORD);
        pendingStart = ordinal + size;
        pendingKind = ItemPlan.RECORD;
    }

    public ItemPlan build() {
        flush();
        return new ItemPlan(starts, lengths, kinds, count, new byte[0][], leafMarks, markedNodesize);
    }

    /** The plan, its RECORD items' contents {@code records} by ordinal. */
    public ItemPlan build(byte[][] records) {
        flush();
        return new ItemPlan(starts, lengths, kinds, count, records, leafMarks, markedNodesize);
    }
}
