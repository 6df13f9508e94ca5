package io.sparkbtrfs.dump;


import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.FileExtent;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Zeros;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Turns a tree block read from the device into its image form (spec §3.6): zero the free space of
 * leaves and nodes, the obsolete CSUM_ITEM data and inline file data, let the {@link LeafItemTransform}
 * rewrite name-bearing items, and recompute the checksum with the filesystem's own algorithm.
 *
 * <p>Leaves of a dump are not trusted: every offset is bounds-checked, and an item that does not fit in
 * the block is left as it is rather than followed (the reference would write outside the block).
 */
public final class BlockScrubber {
    private final int nodesize;
    private final ChecksumType csum;
    private final LeafItemTransform transform;

    public BlockScrubber(int nodesize, ChecksumType csum, LeafItemTransform transform) {
        this.nodesize = nodesize;
        this.csum = csum;
        this.transform = transform;
    }

    /** Scrubs the block at {@code b[off .. off+nodesize)} in place. */
    public void scrub(byte[] b, int off) {
        long nritems = TreeBlock.nritems(b, off);
        int level = TreeBlock.level(b, off);
        if (nritems == 0) {
            Zeros.fill(b, off + TreeBlock.HEADER_SIZE, off + nodesize);
        } else if (level == 0) {
            scrubLeaf(b, off, (int) Math.min(nritems, TreeBlock.maxItems(nodesize, 0)));
        } else {
            int n = (int) Math.min(nritems, TreeBlock.maxItems(nodesize, 1));
            transform.node(b, off, nodesize, n);
            Zeros.fill(b, off + TreeBlock.HEADER_SIZE + TreeBlock.KEY_PTR_SIZE * n, off + nodesize);
        }
        csum.store(b, off, nodesize);
    }

    private void scrubLeaf(byte[] b, int off, int n) {
        long gapStart = TreeBlock.HEADER_SIZE + (long) TreeBlock.ITEM_SIZE * n;
        long gapEnd = Math.min(nodesize, TreeBlock.HEADER_SIZE + TreeBlock.itemOffset(b, off, n - 1));
        if (gapEnd > gapStart) {
            Zeros.fill(b, off + (int) gapStart, off + (int) gapEnd);
        }
        if (transform.zeroesSlack()) {
            zeroSlack(b, off, n);
        }
        for (int slot = 0; slot < n; slot++) {
            if (!TreeBlock.itemInBounds(b, off, nodesize, slot, n)) {
                continue;
            }
            int type = TreeBlock.itemType(b, off, slot);
            int start = TreeBlock.itemDataStart(b, off, slot);
            int size = (int) TreeBlock.itemSize(b, off, slot);
            if (type == Key.OBSOLETE_CSUM_ITEM) {
                Zeros.fill(b, start, start + size);
            } else if (transform.handles(type)) {
                transform.apply(b, off, slot, start, size);
            } else if (type == Key.EXTENT_DATA && size >= FileExtent.INLINE_DATA_OFFSET
                    && FileExtent.type(b, start) == FileExtent.TYPE_INLINE) {
                Zeros.fill(b, start + FileExtent.INLINE_DATA_OFFSET, start + size);
            }
        }
        transform.finishLeaf(b, off, nodesize, n);
    }

    /**
     * Zeroes the bytes between the item headers and the end of the block that no in-bounds item's data covers.
     * Items written by btrfs are packed from the end of the block in slot order (each item's data ends where the
     * previous one's starts), which is checked in one pass; anything else takes the general path.
     */
    private void zeroSlack(byte[] b, int off, int n) {
        int headersEnd = TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * n;
        if (packed(b, off, n)) {
            int expectedEnd = nodesize;
            for (int slot = 0; slot < n; slot++) {
                if (TreeBlock.itemInBounds(b, off, nodesize, slot, n)) {
                    int start = TreeBlock.HEADER_SIZE + (int) TreeBlock.itemOffset(b, off, slot);
                    Zeros.fill(b, off + start + (int) TreeBlock.itemSize(b, off, slot), off + expectedEnd);
                    expectedEnd = start;
                }
            }
            Zeros.fill(b, off + headersEnd, off + Math.max(headersEnd, expectedEnd));
            return;
        }
        java.util.BitSet covered = new java.util.BitSet(nodesize);
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemInBounds(b, off, nodesize, slot, n)) {
                int start = TreeBlock.HEADER_SIZE + (int) TreeBlock.itemOffset(b, off, slot);
                covered.set(start, start + (int) TreeBlock.itemSize(b, off, slot));
            }
        }
        for (int i = covered.nextClearBit(headersEnd); i < nodesize; i = covered.nextClearBit(i)) {
            int next = covered.nextSetBit(i) < 0 ? nodesize : covered.nextSetBit(i);
            Zeros.fill(b, off + i, off + next);
            i = next;
        }
    }

    /** Whether the in-bounds items' data lie in slot order from the block end down, without overlap. */
    private boolean packed(byte[] b, int off, int n) {
        long expectedEnd = nodesize;
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemInBounds(b, off, nodesize, slot, n)) {
                long start = TreeBlock.HEADER_SIZE + TreeBlock.itemOffset(b, off, slot);
                if (start + TreeBlock.itemSize(b, off, slot) > expectedEnd) {
                    return false;
                }
                expectedEnd = start;
            }
        }
        return true;
    }
}
