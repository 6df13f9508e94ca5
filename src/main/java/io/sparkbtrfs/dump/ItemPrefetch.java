package io.sparkbtrfs.dump;

import io.sparkbtrfs.device.Volume;

/**
 * Item contents read ahead from remote devices (object stores, HDFS) in the order they will be asked for (a part's
 * items in plan order, or an exchange's items by address: {@link ItemProducer}), a window of up to
 * {@link #WINDOW_BYTES} at a time: the window's ranges sorted by address and merged into a few large requests,
 * one vectored read per device ({@link Volume#readFirstCopies}), where reading item after item would cost a
 * round trip each (in {@code -w} order an item is nearly always a single block). What the window could not read
 * (a range across a stripe, a failed request) the caller reads on its own, with mirror fallback. Not thread-safe;
 * one per item source.
 */
final class ItemPrefetch {
    /**
     * Content read ahead at a time: bounds the memory of a task (twice this while a window is read). In -w order a
     * part's window has its items strewn over the whole metadata area of a small filesystem, so each window fetches
     * about all of it: on bench names:100000 (87 MiB of tree blocks, two parts from S3) 32 MiB windows fetched 335
     * MiB and 48 MiB ones 172 MiB; which is why such items are read by address instead ({@link ItemProducer}).
     */
    static final int WINDOW_BYTES = 48 << 20;

    private final Volume volume;
    private final ItemPlan plan;
    /** The items in the order they are asked for; null: plan order (position = item). */
    private int[] sequence;
    /** Positions in the order asked for of the window [first, end). */
    private int first;
    private int end;
    private byte[] buffer = new byte[0];
    private int[] offsets = new int[0];
    private boolean[] read = new boolean[0];

    ItemPrefetch(Volume volume, ItemPlan plan) {
        this.volume = volume;
        this.plan = plan;
    }

    /** From now on items are asked for in the order of {@code items} (null: plan order); the window is dropped. */
    void follow(int[] items) {
        sequence = items;
        first = 0;
        end = 0;
    }

    /**
     * Copies the content of the item at {@code position} of the order followed, as read from its first copy, into
     * {@code out}; reads a new window from there (up to position {@code endPosition}, exclusive) first if that
     * position is not in this one. Returns false if the item is not there to copy (the caller reads it itself).
     */
    boolean copy(int position, int endPosition, byte[] out) {
        if (position < first || position >= end) {
            fill(position, endPosition);
        }
        int k = position - first;
        if (!read[k]) {
            return false;
        }
        System.arraycopy(buffer, offsets[k], out, 0, plan.length(itemAt(position)));
        return true;
    }

    private int itemAt(int position) {
        return sequence == null ? position : sequence[position];
    }

    private void fill(int from, int endPosition) {
        int to = from;
        long bytes = 0;
        while (to < endPosition && (to == from || bytes + plan.length(itemAt(to)) <= WINDOW_BYTES)) {
            bytes += plan.length(itemAt(to));
            to++;
        }
        int n = to - from;
        long[] starts = new long[n];
        int[] lengths = new int[n];
        offsets = new int[n];
        if (buffer.length < bytes) {
            buffer = new byte[(int) bytes];
        }
        int count = 0;
        int[] items = new int[n];
        int at = 0;
        for (int p = from; p < to; p++) {
            int i = itemAt(p);
            if (plan.kind(i) == ItemPlan.SUPERBLOCK || plan.kind(i) == ItemPlan.RECORD) {
                continue; // stored as the volume was opened, or held by the plan: never read here
            }
            items[count] = p - from;
            starts[count] = plan.start(i);
            lengths[count] = plan.length(i);
            offsets[count] = at;
            at += plan.length(i);
            count++;
        }
        boolean[] got = volume.readFirstCopies(starts, lengths, count, buffer, offsets);
        int[] byItem = new int[n];
        read = new boolean[n];
        for (int c = 0; c < count; c++) {
            read[items[c]] = got[c];
            byItem[items[c]] = offsets[c];
        }
        offsets = byItem;
        first = from;
        end = to;
    }
}
