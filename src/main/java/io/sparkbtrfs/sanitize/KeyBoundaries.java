package io.sparkbtrfs.sanitize;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Where the name-hash keys of the sanitized trees are pinned by the tree structure, found on the driver from the
 * internal nodes ({@link BoundaryScan}), shipped to every task with the sanitizer.
 *
 * <p>A leaf's first key is its parent's key for it, and every key of a leaf is below the next leaf's first key.
 * The boundaries are the keys of type DIR_ITEM, XATTR_ITEM and INODE_EXTREF in internal nodes, over all trees:
 * for an (objectid, type) they cut the 32-bit hash space into cells, and a cell never straddles two leaves of any
 * tree. A re-keyed item whose new hash stays in the cell of its old hash therefore stays inside its leaf's key
 * range, whatever tree the leaf belongs to (snapshots share leaves and objectids).
 *
 * <p>A leaf whose first item is re-keyed needs its parent's key changed too: {@link #newFirstOffset} gives, by the
 * child's address, the key offset every parent writes for it (the driver computed it by sanitizing that leaf).
 */
public final class KeyBoundaries implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final long HASHES = 1L << 32;

    /** No boundaries: every cell is the whole hash space (a tree of one leaf, or unit tests). */
    public static final KeyBoundaries NONE = new KeyBoundaries(new long[0], new long[0], new long[0], new long[0]);

    /** Sorted by (objectid unsigned, type, hash unsigned): objectid, and type << 32 | hash. */
    private final long[] objectids;
    private final long[] typeHashes;
    /** Sorted child addresses whose first key changes, and the new key offset of each. */
    private final long[] blocks;
    private final long[] firstOffsets;

    private KeyBoundaries(long[] objectids, long[] typeHashes, long[] blocks, long[] firstOffsets) {
        this.objectids = objectids;
        this.typeHashes = typeHashes;
        this.blocks = blocks;
        this.firstOffsets = firstOffsets;
    }

    public int size() {
        return objectids.length;
    }

    /** How many blocks get a new first key (their parents' keys change). */
    public int rekeyedBlocks() {
        return blocks.length;
    }

    private static long typeHash(int type, int hash) {
        return (long) type << 32 | (hash & 0xFFFFFFFFL);
    }

    private int compare(int i, long objectid, long typeHash) {
        int c = Long.compareUnsigned(objectids[i], objectid);
        return c != 0 ? c : Long.compare(typeHashes[i], typeHash);
    }

    /** The first index whose key is greater than the given one. */
    private int upperBound(long objectid, long typeHash) {
        int lo = 0;
        int hi = objectids.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(mid, objectid, typeHash) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Whether (objectid, type, hash) is some node's key. */
    public boolean contains(long objectid, int type, int hash) {
        int i = upperBound(objectid, typeHash(type, hash)) - 1;
        return i >= 0 && compare(i, objectid, typeHash(type, hash)) == 0;
    }

    /** The cell's lower bound (inclusive, unsigned): the largest boundary of (objectid, type) ≤ hash, else 0. */
    public long cellLow(long objectid, int type, int hash) {
        int i = upperBound(objectid, typeHash(type, hash)) - 1;
        return i >= 0 && objectids[i] == objectid && (typeHashes[i] >>> 32) == type ? typeHashes[i] & 0xFFFFFFFFL : 0;
    }

    /** The cell's upper bound (exclusive, unsigned): the smallest boundary of (objectid, type) > hash, else 2^32. */
    public long cellHigh(long objectid, int type, int hash) {
        int i = upperBound(objectid, typeHash(type, hash));
        return i < objectids.length && objectids[i] == objectid && (typeHashes[i] >>> 32) == type
                ? typeHashes[i] & 0xFFFFFFFFL : HASHES;
    }

    /** The key offset the parents of block {@code bytenr} write for it, or -1 if its first key stays. */
    public long newFirstOffset(long bytenr) {
        if (blocks.length == 0) {
            return -1;
        }
        int i = Arrays.binarySearch(blocks, bytenr);
        return i >= 0 ? firstOffsets[i] : -1;
    }

    /** Collects boundaries, then new first keys. */
    public static final class Builder {
        private long[] objectids = new long[256];
        private long[] typeHashes = new long[256];
        private int n;
        private final java.util.TreeMap<Long, Long> firsts = new java.util.TreeMap<>();

        public Builder add(long objectid, int type, long keyOffset) {
            if (n == objectids.length) {
                objectids = Arrays.copyOf(objectids, 2 * n);
                typeHashes = Arrays.copyOf(typeHashes, 2 * n);
            }
            objectids[n] = objectid;
            typeHashes[n] = typeHash(type, (int) keyOffset);
            n++;
            return this;
        }

        public Builder newFirstOffset(long bytenr, long keyOffset) {
            firsts.put(bytenr, keyOffset);
            return this;
        }

        public KeyBoundaries build() {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> {
                int c = Long.compareUnsigned(objectids[a], objectids[b]);
                return c != 0 ? c : Long.compare(typeHashes[a], typeHashes[b]);
            });
            long[] o = new long[n];
            long[] t = new long[n];
            int k = 0;
            for (int i = 0; i < n; i++) {
                int j = order[i];
                if (k > 0 && o[k - 1] == objectids[j] && t[k - 1] == typeHashes[j]) {
                    continue;
                }
                o[k] = objectids[j];
                t[k] = typeHashes[j];
                k++;
            }
            long[] blocks = new long[firsts.size()];
            long[] offsets = new long[firsts.size()];
            int i = 0;
            for (var e : firsts.entrySet()) {
                blocks[i] = e.getKey();
                offsets[i++] = e.getValue();
            }
            return new KeyBoundaries(Arrays.copyOf(o, k), Arrays.copyOf(t, k), blocks, offsets);
        }

        /** The boundaries collected so far, without new first keys (to sanitize leaves with, on the driver). */
        KeyBoundaries boundariesOnly() {
            java.util.Map<Long, Long> saved = new java.util.TreeMap<>(firsts);
            firsts.clear();
            KeyBoundaries b = build();
            firsts.putAll(saved);
            return b;
        }
    }
}
