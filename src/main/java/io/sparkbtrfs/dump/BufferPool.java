package io.sparkbtrfs.dump;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * Byte arrays handed back and forth between the parts of one in-process dump: the copies of items deflated
 * side by side, their zlib streams, the chunks of parts held in memory. Each part's writer is new, so buffers
 * kept by a writer were never reused; allocated per item they cost as much CPU as zlib itself at -c 1 (zeroing,
 * and the collector copying the live items of a cluster between generations: async-profiler, 57 MiB).
 *
 * <p>Sizes are rounded up to 64 KiB; a request takes the smallest kept array that fits it and wastes at most a
 * quarter. At most {@code maxBytes} are kept; beyond that, returned arrays are left to the collector.
 */
final class BufferPool {
    private static final int GRAIN = 1 << 16;
    private final TreeMap<Integer, ArrayDeque<byte[]>> free = new TreeMap<>();
    private final long maxBytes;
    private long kept;

    BufferPool(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** An array of at least {@code n} bytes, contents undefined. */
    synchronized byte[] take(int n) {
        long rounded = Math.max(GRAIN, ((long) n + GRAIN - 1) / GRAIN * GRAIN);
        int size = (int) Math.min(rounded, Integer.MAX_VALUE - 8);
        Map.Entry<Integer, ArrayDeque<byte[]>> e = free.ceilingEntry(Math.max(n, 1));
        if (e != null && e.getKey() <= size + size / 4) {
            byte[] b = e.getValue().pollFirst();
            if (e.getValue().isEmpty()) {
                free.remove(e.getKey());
            }
            kept -= b.length;
            return b;
        }
        return new byte[Math.max(size, n)];
    }

    /** Gives {@code b} back (null is ignored); the caller must not use it afterwards. */
    synchronized void give(byte[] b) {
        if (b == null || b.length < GRAIN || kept + b.length > maxBytes) {
            return;
        }
        free.computeIfAbsent(b.length, k -> new ArrayDeque<>()).addFirst(b);
        kept += b.length;
    }
}
