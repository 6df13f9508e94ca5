package io.sparkbtrfs.device;

import java.util.Arrays;

/** An open-addressing set of longs (no boxing: the -w walk marks every tree block it visits). */
public final class LongHashSet {
    private static final long EMPTY = 0;
    private long[] table = new long[1 << 12];
    private boolean hasZero;
    private int size;

    /** Adds {@code v}; returns false if it was present. */
    public boolean add(long v) {
        if (v == EMPTY) {
            boolean added = !hasZero;
            hasZero = true;
            return added;
        }
        if ((size + 1) * 2 > table.length) {
            grow();
        }
        int mask = table.length - 1;
        int i = mix(v) & mask;
        while (table[i] != EMPTY) {
            if (table[i] == v) {
                return false;
            }
            i = (i + 1) & mask;
        }
        table[i] = v;
        size++;
        return true;
    }

    /** Whether {@code v} was added. */
    public boolean contains(long v) {
        if (v == EMPTY) {
            return hasZero;
        }
        int mask = table.length - 1;
        for (int i = mix(v) & mask; table[i] != EMPTY; i = (i + 1) & mask) {
            if (table[i] == v) {
                return true;
            }
        }
        return false;
    }

    /** The values added, in no particular order. */
    public long[] toArray() {
        long[] out = new long[(int) size()];
        int n = 0;
        if (hasZero) {
            out[n++] = EMPTY;
        }
        for (long v : table) {
            if (v != EMPTY) {
                out[n++] = v;
            }
        }
        return out;
    }

    private void grow() {
        long[] old = table;
        table = new long[old.length * 2];
        int mask = table.length - 1;
        for (long v : old) {
            if (v != EMPTY) {
                int i = mix(v) & mask;
                while (table[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                table[i] = v;
            }
        }
        Arrays.fill(old, 0);
    }

    /** Number of distinct values added. */
    public long size() {
        return size + (hasZero ? 1 : 0);
    }

    private static int mix(long v) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
