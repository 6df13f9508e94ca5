package io.sparkbtrfs.dump;

import io.sparkbtrfs.device.Volume;

/**
 * Item contents of a part read ahead from remote devices (object stores, HDFS), a window of up to
 * {@link #WINDOW_BYTES} at a time: the window's ranges sorted by address and merged into a few large requests,
 * one vectored read per device ({@link Volume#readFirstCopies}), where reading item after item would cost a
 * round trip each (in {@code -w} order an item is nearly always a single block). The part writer then takes the
 * items in plan order, so the bytes are the same. What the window could not read (a range across a stripe, a
 * failed request) the writer reads on its own, with mirror fallback. Not thread-safe; one per part writer.
 */
final class ItemPrefetch {
    /**
     * Content read ahead at a time: bounds the memory of a task (twice this while a window is read). In -w order a
     * window's items are strewn over the whole metadata area of a small filesystem, so each window fetches about all
     * of it: on bench names:100000 (87 MiB of tree blocks, two parts from S3) 32 MiB windows fetched 335 MiB and 48
     * MiB ones 172 MiB.
     */
    static final int WINDOW_BYTES = 48 << 20;

    private final Volume volume;
    private final ItemPlan plan;
    private int first;
    private int end;
    private byte[] buffer = new byte[0];
    private int[] offsets = new int[0];
    private boolean[] read = new boolean[0];

    ItemPrefetch(Volume volume, ItemPlan plan) {
        this.volume = volume;
        this.plan = plan;
    }

    /**
     * Copies item {@code item}'s content as read from its first copy into {@code out}; reads a new window from
     * {@code item} (up to item {@code endItem}, exclusive) first if the item is not in this one. Returns false if
     * the item is not there to copy (the caller reads it itself).
     */
    boolean copy(int item, int endItem, byte[] out) {
        if (item < first || item >= end) {
            fill(item, endItem);
        }
        int k = item - first;
        if (!read[k]) {
            return false;
        }
        System.arraycopy(buffer, offsets[k], out, 0, plan.length(item));
        return true;
    }

    private void fill(int from, int endItem) {
        int to = from;
        long bytes = 0;
        while (to < endItem && (to == from || bytes + plan.length(to) <= WINDOW_BYTES)) {
            bytes += plan.length(to);
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
        for (int i = from; i < to; i++) {
            if (plan.kind(i) == ItemPlan.SUPERBLOCK) {
                continue; // stored as the volume was opened, never read here
            }
            items[count] = i - from;
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
