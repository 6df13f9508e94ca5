package io.sparkbtrfs.sanitize;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A task's memo of substitutes, looked up by a name's bytes where they lie in the block (no copy, no key
 * object): most names occur in several items (DIR_ITEM, DIR_INDEX, INODE_REF), and computing a substitute
 * costs far more than finding it. Open addressing; emptied when full, which bounds memory.
 */
final class NameCache {
    private final int capacity;
    private final int mask;
    /** entries[i]: the name followed by its substitute (one object: fewer cache misses per lookup). */
    private final byte[][] entries;
    private final int[] keeps;
    private final int[] hashes;
    private final CRC32C crc = new CRC32C();
    private int size;

    /** @param capacity entries kept before the cache empties itself; a power of two */
    NameCache(int capacity) {
        this.capacity = capacity;
        int slots = Integer.highestOneBit(capacity) * 2;
        this.mask = slots - 1;
        this.entries = new byte[slots][];
        this.keeps = new int[slots];
        this.hashes = new int[slots];
    }

    /** The hash {@link #replace} and {@link #put} take for {@code b[off .. off+len)} (CRC32C: an intrinsic). */
    int hash(byte[] b, int off, int len, int keep) {
        crc.reset();
        crc.update(b, off, len);
        int h = (int) crc.getValue() ^ keep * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** Copies the substitute of {@code b[off .. off+len)} over it; false if not cached. */
    boolean replace(byte[] b, int off, int len, int keep, int hash) {
        for (int i = hash & mask; entries[i] != null; i = (i + 1) & mask) {
            byte[] e = entries[i];
            if (hashes[i] == hash && e.length == 2 * len && Arrays.equals(e, 0, len, b, off, off + len)
                    && keeps[i] == keep) {
                System.arraycopy(e, len, b, off, len);
                return true;
            }
        }
        return false;
    }

    void put(byte[] name, int keep, int hash, byte[] substitute) {
        if (size >= capacity) {
            Arrays.fill(entries, null);
            size = 0;
        }
        int i = hash & mask;
        while (entries[i] != null) {
            i = (i + 1) & mask;
        }
        byte[] e = Arrays.copyOf(name, 2 * name.length);
        System.arraycopy(substitute, 0, e, name.length, name.length);
        entries[i] = e;
        keeps[i] = keep;
        hashes[i] = hash;
        size++;
    }
}
