package io.sparkbtrfs.dump;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import io.sparkbtrfs.device.Volume;

/**
 * Item contents read ahead from remote devices (object stores, HDFS) in the order they will be asked for (a part's
 * items in plan order, or an exchange's items by address: {@link ItemProducer}), a window of items at a time: the
 * window's ranges sorted by address and merged into a few large requests, one vectored read per device
 * ({@link Volume#readFirstCopies}), where reading item after item would cost a round trip each (in {@code -w} order
 * an item is nearly always a single block). What the window could not read (a range across a stripe, a failed
 * request) the caller reads on its own, with mirror fallback. Not thread-safe; one per item source.
 *
 * <p>Items asked for in address order (a producer's; a part of the default mode, whose plan follows the extent
 * tree) are read in small windows, the next one on a thread of its own while this one is consumed: scrubbing and
 * compressing then overlap fetching, and the first items come after one small window rather than after a large
 * one (measured on bench names:100000, {@code -w} from S3 with 20 ms added: producers waited 0.75 s of their 1.1 s
 * for a single 43 MiB window).
 */
final class ItemPrefetch implements AutoCloseable {
    /**
     * Content read ahead at a time in plan order: bounds the memory of a task (twice this while a window is read).
     * In -w order a part's window has its items strewn over the whole metadata area of a small filesystem, so each
     * window fetches about all of it: on bench names:100000 (87 MiB of tree blocks, two parts from S3) 32 MiB windows
     * fetched 335 MiB and 48 MiB ones 172 MiB; which is why such items are read by address instead
     * ({@link ItemProducer}).
     */
    static final int WINDOW_BYTES = 48 << 20;
    /**
     * A window in address order: its items are nearly contiguous, so a small window fetches no more than a large
     * one. Two are held at a time (one consumed, one being read).
     */
    static final int ORDERED_WINDOW_BYTES = 12 << 20;

    /** Threads that read the next window; daemons, so that a task that is killed leaves nothing running for long. */
    private static final Executor READ_AHEAD = runnable -> {
        Thread t = new Thread(runnable, "btrfs-read-ahead");
        t.setDaemon(true);
        t.start();
    };

    private final Volume volume;
    private final ItemPlan plan;
    private final int planWindow;
    private final int orderedWindow;
    /** The items in the order they are asked for; null: plan order (position = item). */
    private int[] sequence;
    /** Whether the positions [orderedFrom, orderedEnd) hold items in address order (known: orderedEnd > 0). */
    private boolean ordered;
    private int orderedFrom;
    private int orderedEnd;
    private Window window = Window.EMPTY;
    /** The window after {@link #window}, being read (address order only), or null. */
    private CompletableFuture<Window> ahead;
    /** A buffer that no window uses, or null. */
    private byte[] spare;
    /** Plan order strewn over the metadata: the stretch's items read by address into a local file, or null. */
    private ItemSpill spill;
    /** The whole plan's items in a spill that the parts of an in-process dump share, or null. */
    private ItemSpill shared;
    /** The stretch of positions a spill was last considered for (end 0: none). */
    private int spillFrom;
    private int spillEnd;

    ItemPrefetch(Volume volume, ItemPlan plan) {
        this(volume, plan, WINDOW_BYTES, ORDERED_WINDOW_BYTES);
    }

    /** Serving plan order from {@code shared} (the items of the whole plan, read by address: not closed here). */
    ItemPrefetch(Volume volume, ItemPlan plan, ItemSpill shared) {
        this(volume, plan, WINDOW_BYTES, ORDERED_WINDOW_BYTES);
        this.shared = shared;
    }

    /** With windows of other sizes (bytes of content: in any order, in address order). */
    ItemPrefetch(Volume volume, ItemPlan plan, int planWindow, int orderedWindow) {
        this.volume = volume;
        this.plan = plan;
        this.planWindow = planWindow;
        this.orderedWindow = orderedWindow;
    }

    /** From now on items are asked for in the order of {@code items} (null: plan order); the windows are dropped. */
    void follow(int[] items) {
        settleAhead();
        sequence = items;
        orderedEnd = 0;
        dropSpill();
        release(window);
        window = Window.EMPTY;
    }

    /**
     * Copies the content of the item at {@code position} of the order followed, as read from its first copy, into
     * {@code out}; reads a new window from there (up to position {@code endPosition}, exclusive) first if that
     * position is not in this one. Returns false if the item is not there to copy (the caller reads it itself).
     */
    boolean copy(int position, int endPosition, byte[] out) {
        if (!window.holds(position)) {
            boolean ordered = inAddressOrder(position, endPosition);
            if (!ordered && sequence == null && spilled(position, endPosition)) {
                try {
                    return spill.copy(position, out);
                } catch (IOException e) {
                    return false; // the local file failed: the caller reads the item itself
                }
            }
            Window next = awaitAhead();
            release(window);
            if (next != null && next.holds(position)) {
                window = next;
            } else {
                release(next);
                // In address order the first window is a small one: its items are at hand sooner, the next
                // window being read meanwhile.
                window = fill(position, endPosition, take(), ordered ? orderedWindow / 4 : planWindow);
            }
            if (ordered && window.end < endPosition) {
                int from = window.end;
                byte[] buffer = take();
                ahead = CompletableFuture.supplyAsync(() -> fill(from, endPosition, buffer, orderedWindow), READ_AHEAD);
            }
        }
        int k = position - window.first;
        if (!window.read[k]) {
            return false;
        }
        System.arraycopy(window.buffer, window.offsets[k], out, 0, plan.length(itemAt(position)));
        return true;
    }

    /**
     * Whether the item at {@code position}, in plan order strewn over the metadata, is served from a spill of the
     * stretch [position, endPosition): made at the first position of a stretch where windows in plan order would
     * fetch notably more than reading by address ({@link ItemSpill#worthIt}).
     */
    private boolean spilled(int position, int endPosition) {
        if (spill != null && spill.holds(position)) {
            return true;
        }
        if (shared != null && shared.holds(position)) {
            dropSpill();
            spill = shared;
            return true;
        }
        if (spillEnd == endPosition && position >= spillFrom) {
            return false; // considered for this stretch already
        }
        dropSpill();
        spillFrom = position;
        spillEnd = endPosition;
        if (ItemSpill.worthIt(plan, position, endPosition, planWindow, volume.mergeGap())) {
            spill = ItemSpill.of(volume, plan, position, endPosition, orderedWindow, ItemSpill.DIR);
        }
        return spill != null && spill.holds(position);
    }

    /** Waits for the read ahead, if any, and drops the spill's file. */
    @Override
    public void close() {
        settleAhead();
        dropSpill();
    }

    /** Whether items are being served from a spill (tests). */
    boolean spills() {
        return spill != null;
    }

    private void dropSpill() {
        if (spill != null && spill != shared) {
            spill.close();
        }
        spill = null;
        spillEnd = 0;
    }

    /** Waits for the window being read ahead, if any, and drops it: its buffer may be reused only then. */
    private void settleAhead() {
        release(awaitAhead());
    }

    /** The window read ahead (null if none), once read; what its reading threw is thrown here, as is. */
    private Window awaitAhead() {
        CompletableFuture<Window> a = ahead;
        ahead = null;
        if (a == null) {
            return null;
        }
        try {
            return a.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private byte[] take() {
        byte[] b = spare == null ? new byte[0] : spare;
        spare = null;
        return b;
    }

    private void release(Window w) {
        if (w != null && w.buffer.length > 0 && (spare == null || spare.length < w.buffer.length)) {
            spare = w.buffer;
        }
    }

    /**
     * Whether the items at positions [from, end) come in address order: always for a sequence followed (a
     * producer's); in plan order, found out once per stretch asked for (a part: the default mode's plans are).
     */
    private boolean inAddressOrder(int from, int end) {
        if (sequence != null) {
            return true;
        }
        if (orderedEnd != end || from < orderedFrom) {
            ordered = true;
            for (int p = from + 1; p < end && ordered; p++) {
                ordered = Long.compareUnsigned(plan.start(p - 1), plan.start(p)) <= 0;
            }
            orderedFrom = from;
            orderedEnd = end;
        }
        return ordered;
    }

    private int itemAt(int position) {
        return sequence == null ? position : sequence[position];
    }

    /**
     * The window of items from position {@code from}, up to {@code limit} bytes of content, read into {@code buffer}
     * (or a larger one). Runs on the read-ahead thread too: reads nothing that {@link #copy} changes.
     */
    private Window fill(int from, int endPosition, byte[] buffer, long limit) {
        int to = windowEnd(plan, sequence, from, endPosition, limit);
        int n = to - from;
        long[] starts = new long[n];
        int[] lengths = new int[n];
        int[] offsets = new int[n];
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
        byte[] into = buffer.length < at ? new byte[at] : buffer;
        boolean[] got = volume.readFirstCopies(starts, lengths, count, into, offsets);
        int[] byItem = new int[n];
        boolean[] read = new boolean[n];
        for (int c = 0; c < count; c++) {
            read[items[c]] = got[c];
            byItem[items[c]] = offsets[c];
        }
        return new Window(from, to, into, byItem, read);
    }

    /**
     * The end of the window that starts at position {@code from} of {@code sequence} (null: plan order): items up to
     * {@code limit} bytes of content (at least one), not past {@code end}.
     */
    static int windowEnd(ItemPlan plan, int[] sequence, int from, int end, long limit) {
        int to = from;
        long bytes = 0;
        while (to < end) {
            int length = plan.length(sequence == null ? to : sequence[to]);
            if (to > from && bytes + length > limit) {
                break;
            }
            bytes += length;
            to++;
        }
        return to;
    }

    /** Items at positions [first, end) of the order followed, item k's content at offsets[k] if read[k]. */
    private record Window(int first, int end, byte[] buffer, int[] offsets, boolean[] read) {
        static final Window EMPTY = new Window(0, 0, new byte[0], new int[0], new boolean[0]);

        boolean holds(int position) {
            return position >= first && position < end;
        }
    }
}
