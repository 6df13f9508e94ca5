package io.sparkbtrfs.sanitize;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A task's memo of substitutes, looked up by a name's bytes where they lie in the block (no copy, no key
 * object): most names occur in several items (DIR_ITEM, DIR_INDEX, INODE_REF), and computing a substitute
 * costs far more than finding it. Open addressing over one byte arena per executor thread, reused by the
 * thread's next task: entries are not objects, so they are never promoted garbage for the collector.
 * Emptied when full, which bounds memory.
 */
final class NameCache {
    private static final int ARENA = 4 << 20;
    private static final ThreadLocal<byte[]> ARENAS = ThreadLocal.withInitial(() -> new byte[ARENA]);

    private final int capacity;
    private final int mask;
    /**
     * Per slot: arena offset of name ‖ substitute (-1: empty), the name's length, keep and hash, the hash range its
     * substitute was chosen in (short names under -ss; 0 otherwise) and what the substitute does to keys.
     */
    private final int[] offsets;
    private final int[] lengths;
    private final int[] keeps;
    private final int[] hashes;
    private final int[] lows;
    private final int[] highs;
    private final int[] statuses;
    private final byte[] arena = ARENAS.get();
    private final CRC32C crc = new CRC32C();
    private int size;
    private int used;

    /** @param capacity entries kept before the cache empties itself */
    NameCache(int capacity) {
        this.capacity = capacity;
        int slots = Integer.highestOneBit(capacity) * 2;
        this.mask = slots - 1;
        this.offsets = new int[slots];
        this.lengths = new int[slots];
        this.keeps = new int[slots];
        this.hashes = new int[slots];
        this.lows = new int[slots];
        this.highs = new int[slots];
        this.statuses = new int[slots];
        Arrays.fill(offsets, -1);
    }

    /** The hash {@link #replace} and {@link #put} take for {@code b[off .. off+len)} (CRC32C: an intrinsic). */
    int hash(byte[] b, int off, int len, int keep) {
        crc.reset();
        crc.update(b, off, len);
        int h = (int) crc.getValue() ^ keep * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** Copies the substitute of {@code b[off .. off+len)} over it and returns its status; -1 if not cached. */
    int replace(byte[] b, int off, int len, int keep, int low, int high, int hash) {
        for (int i = hash & mask; offsets[i] >= 0; i = (i + 1) & mask) {
            int at = offsets[i];
            if (hashes[i] == hash && lengths[i] == len && keeps[i] == keep && lows[i] == low && highs[i] == high
                    && Arrays.equals(arena, at, at + len, b, off, off + len)) {
                System.arraycopy(arena, at + len, b, off, len);
                return statuses[i];
            }
        }
        return -1;
    }

    /** Remembers {@code substitute[0 .. len)} (and its status) for {@code name[0 .. len)} in the given range. */
    void put(byte[] name, int len, int keep, int low, int high, int hash, byte[] substitute, int status) {
        if (2 * len > arena.length) {
            return;
        }
        if (size >= capacity || used + 2 * len > arena.length) {
            Arrays.fill(offsets, -1);
            size = 0;
            used = 0;
        }
        int i = hash & mask;
        while (offsets[i] >= 0) {
            i = (i + 1) & mask;
        }
        System.arraycopy(name, 0, arena, used, len);
        System.arraycopy(substitute, 0, arena, used + len, len);
        offsets[i] = used;
        lengths[i] = len;
        keeps[i] = keep;
        hashes[i] = hash;
        lows[i] = low;
        highs[i] = high;
        statuses[i] = status;
        used += 2 * len;
        size++;
    }
}
