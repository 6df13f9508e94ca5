package io.sparkbtrfs.sanitize;

import java.util.Arrays;

import io.sparkbtrfs.format.DirItem;
import io.sparkbtrfs.format.InodeRef;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.TreeBlock;

/**
 * The entries of one leaf whose key changes (a re-keyed short name in a DIR_ITEM, XATTR_ITEM or INODE_EXTREF), and
 * the rebuild of the leaf that moves them: every item whose entries now belong to different keys is split, entries
 * landing on an existing key join that item (btrfs keeps the entries of one name hash in one item), the items are
 * sorted by key and their data packed again from the block end, as btrfs lays out a leaf. A task's scratch: reused
 * from leaf to leaf, allocation-free once grown.
 */
final class LeafRekey {
    private int blockOffset = -1;
    private int count;
    private int[] slots = new int[16];
    private int[] entries = new int[16];
    private long[] offsets = new long[16];

    // rebuild scratch: pieces (a key and a chain of segments, byte ranges of the old block)
    private long[] pObjectid = new long[64];
    private int[] pType = new int[64];
    private long[] pOffset = new long[64];
    private int[] pFirstSeg = new int[64];
    private int[] pLastSeg = new int[64];
    private int[] pSize = new int[64];
    private int[] order = new int[64];
    private int[] segFrom = new int[64];
    private int[] segLen = new int[64];
    private int[] segNext = new int[64];
    private byte[] out = new byte[0];

    /** Forgets the entries of the previous leaf. */
    void reset(int blockOffset) {
        this.blockOffset = blockOffset;
        count = 0;
    }

    boolean isEmpty(int blockOffset) {
        return count == 0 || this.blockOffset != blockOffset;
    }

    /** The entry at absolute offset {@code entry} of item {@code slot} gets key offset {@code newOffset}. */
    void add(int blockOffset, int slot, int entry, long newOffset) {
        if (this.blockOffset != blockOffset) {
            reset(blockOffset);
        }
        if (count == slots.length) {
            slots = Arrays.copyOf(slots, 2 * count);
            entries = Arrays.copyOf(entries, 2 * count);
            offsets = Arrays.copyOf(offsets, 2 * count);
        }
        slots[count] = slot;
        entries[count] = entry;
        offsets[count] = newOffset;
        count++;
    }

    /** The new key offset of the entry at {@code entry} of {@code slot}, or -1 if it keeps its item's key. */
    private long newOffset(int slot, int entry) {
        for (int i = 0; i < count; i++) {
            if (slots[i] == slot && entries[i] == entry) {
                return offsets[i];
            }
        }
        return -1;
    }

    private boolean hasEntries(int slot) {
        for (int i = 0; i < count; i++) {
            if (slots[i] == slot) {
                return true;
            }
        }
        return false;
    }

    /**
     * Rebuilds the leaf at {@code b[off .. off+nodesize)} with the recorded keys. Returns the number of entries
     * moved, or -1 if the leaf is left as it is: an item out of bounds or damaged, or no room for the items a split
     * adds.
     */
    int apply(byte[] b, int off, int nodesize, int n) {
        if (isEmpty(off)) {
            return 0;
        }
        int pieces = 0;
        int segs = 0;
        int moved = 0;
        for (int slot = 0; slot < n; slot++) {
            if (!TreeBlock.itemInBounds(b, off, nodesize, slot, n)) {
                return -1;
            }
            long objectid = TreeBlock.itemObjectid(b, off, slot);
            int type = TreeBlock.itemType(b, off, slot);
            long keyOffset = TreeBlock.itemKeyOffset(b, off, slot);
            int start = TreeBlock.itemDataStart(b, off, slot);
            int size = (int) TreeBlock.itemSize(b, off, slot);
            int firstPiece = pieces;
            boolean split = hasEntries(slot);
            for (int p = start; p < start + size || (!split && p == start);) {
                int len = split ? entrySize(b, type, p, start + size) : size;
                if (split && len <= 0) {
                    return -1;
                }
                long to = split ? newOffset(slot, p) : -1;
                long key = to >= 0 ? to : keyOffset;
                moved += to >= 0 ? 1 : 0;
                int q = firstPiece;
                while (q < pieces && pOffset[q] != key) {
                    q++;
                }
                ensure(pieces + 1, segs + 1);
                if (q == pieces) {
                    pObjectid[q] = objectid;
                    pType[q] = type;
                    pOffset[q] = key;
                    pFirstSeg[q] = -1;
                    pSize[q] = 0;
                    pieces++;
                }
                segFrom[segs] = p;
                segLen[segs] = len;
                segNext[segs] = -1;
                if (pFirstSeg[q] < 0) {
                    pFirstSeg[q] = segs;
                } else {
                    segNext[pLastSeg[q]] = segs;
                }
                pLastSeg[q] = segs++;
                pSize[q] += len;
                p += len;
                if (!split) {
                    break; // the whole item, whatever its size (zero included)
                }
            }
        }
        // sort by key (insertion sort: only the moved pieces are out of place); equal keys end up adjacent
        for (int i = 0; i < pieces; i++) {
            int j = i - 1;
            for (; j >= 0 && compare(order[j], i) > 0; j--) {
                order[j + 1] = order[j];
            }
            order[j + 1] = i;
        }
        int items = 0;
        long total = 0;
        for (int i = 0; i < pieces; i++) {
            items += i == 0 || compare(order[i - 1], order[i]) != 0 ? 1 : 0;
            total += pSize[order[i]];
        }
        if (TreeBlock.HEADER_SIZE + (long) TreeBlock.ITEM_SIZE * items + total > nodesize) {
            return -1;
        }
        if (out.length < nodesize) {
            out = new byte[nodesize];
        }
        System.arraycopy(b, off, out, 0, TreeBlock.HEADER_SIZE);
        Arrays.fill(out, TreeBlock.HEADER_SIZE, nodesize, (byte) 0);
        int dataEnd = nodesize;
        int slot = 0;
        for (int i = 0; i < pieces;) {
            int group = i + 1;
            int itemSize = pSize[order[i]];
            while (group < pieces && compare(order[group], order[i]) == 0) {
                itemSize += pSize[order[group++]];
            }
            dataEnd -= itemSize;
            int p = order[i];
            TreeBlock.setItem(out, 0, slot++, pObjectid[p], pType[p], pOffset[p], dataEnd - TreeBlock.HEADER_SIZE,
                    itemSize);
            int cursor = dataEnd;
            for (; i < group; i++) {
                for (int s = pFirstSeg[order[i]]; s >= 0; s = segNext[s]) {
                    System.arraycopy(b, segFrom[s], out, cursor, segLen[s]);
                    cursor += segLen[s];
                }
            }
        }
        TreeBlock.setNritems(out, 0, slot);
        System.arraycopy(out, 0, b, off, nodesize);
        reset(-1);
        return moved;
    }

    private int compare(int a, int b) {
        int c = Long.compareUnsigned(pObjectid[a], pObjectid[b]);
        if (c == 0) {
            c = Integer.compare(pType[a], pType[b]);
        }
        return c != 0 ? c : Long.compareUnsigned(pOffset[a], pOffset[b]);
    }

    private void ensure(int pieces, int segs) {
        if (pieces > pObjectid.length) {
            int n = Math.max(pieces, 2 * pObjectid.length);
            pObjectid = Arrays.copyOf(pObjectid, n);
            pType = Arrays.copyOf(pType, n);
            pOffset = Arrays.copyOf(pOffset, n);
            pFirstSeg = Arrays.copyOf(pFirstSeg, n);
            pLastSeg = Arrays.copyOf(pLastSeg, n);
            pSize = Arrays.copyOf(pSize, n);
            order = Arrays.copyOf(order, n);
        }
        if (segs > segFrom.length) {
            int n = Math.max(segs, 2 * segFrom.length);
            segFrom = Arrays.copyOf(segFrom, n);
            segLen = Arrays.copyOf(segLen, n);
            segNext = Arrays.copyOf(segNext, n);
        }
    }

    /** The size of the entry at {@code p} of an item of {@code type} ending at {@code end}; ≤ 0 if it does not fit. */
    static int entrySize(byte[] b, int type, int p, int end) {
        int len;
        if (type == Key.INODE_EXTREF) {
            if (p + InodeRef.EXTREF_HEADER_SIZE > end) {
                return -1;
            }
            len = InodeRef.EXTREF_HEADER_SIZE + InodeRef.extrefNameLen(b, p);
        } else {
            if (p + DirItem.HEADER_SIZE > end) {
                return -1;
            }
            len = DirItem.size(b, p);
        }
        return p + len <= end ? len : -1;
    }
}
