package io.sparkbtrfs.restore;

import java.util.Arrays;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Rewrites chunk-tree leaves of a multi-device image for a single target (spec §5.5): every chunk item
 * becomes one stripe on the primary device at its placed offset (two for DUP), RAID bits cleared.
 * Blocks are addressed from the piece's own logical start (the reference uses the item's: bug 15).
 */
final class ChunkTreeFixer {
    private static final long KEEP_TYPE = ChunkItem.KIND_BITS | ChunkItem.DUP;

    private final int nodesize;
    private final byte[] fsid;
    private final RestoreMap map;
    private final long devid;
    private final byte[] devUuid;
    private final ChecksumType csum;

    ChunkTreeFixer(int nodesize, byte[] fsid, RestoreMap map, long devid, byte[] devUuid, ChecksumType csum) {
        this.nodesize = nodesize;
        this.fsid = fsid;
        this.map = map;
        this.devid = devid;
        this.devUuid = devUuid;
        this.csum = csum;
    }

    /** Fixes the chunk-tree leaves among the blocks of {@code buf[0..len)} holding logical {@code logical}. */
    void fix(byte[] buf, int len, long logical) {
        if (len % nodesize != 0) {
            return;
        }
        for (int off = 0; off < len; off += nodesize) {
            if (!TreeBlock.isAt(buf, off, logical + off, fsid)) {
                return; // not tree blocks (or not ours): leave the rest of the piece alone
            }
            if (TreeBlock.owner(buf, off) != Key.CHUNK_TREE_OBJECTID || TreeBlock.level(buf, off) != 0) {
                continue;
            }
            if (fixLeaf(buf, off)) {
                csum.store(buf, off, nodesize);
            }
        }
    }

    private boolean fixLeaf(byte[] b, int off) {
        long n = TreeBlock.nritems(b, off);
        if (n > TreeBlock.maxItems(nodesize, 0)) {
            return false;
        }
        int count = (int) n;
        for (int slot = 0; slot < count; slot++) {
            if (!TreeBlock.itemInBounds(b, off, nodesize, slot, count)) {
                return false;
            }
        }
        boolean changed = false;
        for (int slot = 0; slot < count; slot++) {
            if (TreeBlock.itemType(b, off, slot) != Key.CHUNK_ITEM
                    || TreeBlock.itemSize(b, off, slot) < ChunkItem.HEADER_SIZE + ChunkItem.STRIPE_SIZE) {
                continue;
            }
            Placement p = map.find(TreeBlock.itemKey(b, off, slot).offset());
            if (p == null) {
                continue;
            }
            int data = TreeBlock.itemDataStart(b, off, slot);
            int stripes = ChunkItem.numStripes(b, data);
            boolean dup = (ChunkItem.type(b, data) & ChunkItem.DUP) != 0 && stripes >= 2 && p.physicalDup() != 0;
            int keep = dup ? 2 : 1;
            if (stripes > keep) {
                if (!canShrink(b, off, count, slot)) {
                    return changed;
                }
                shrink(b, off, count, slot, ChunkItem.STRIPE_SIZE * (stripes - keep));
                data = TreeBlock.itemDataStart(b, off, slot);
            }
            ChunkItem.setType(b, data, ChunkItem.type(b, data) & KEEP_TYPE);
            (dup ? p : p.withoutDup()).writeStripes(b, data, devid, devUuid);
            changed = true;
        }
        return changed;
    }

    /** Item data must be packed in descending slot order for the move in {@link #shrink} to stay in the block. */
    private static boolean canShrink(byte[] b, int off, int n, int slot) {
        for (int j = slot + 1; j < n; j++) {
            if (TreeBlock.itemOffset(b, off, j) + TreeBlock.itemSize(b, off, j) > TreeBlock.itemOffset(b, off, j - 1)) {
                return false;
            }
        }
        return true;
    }

    /** Cuts {@code d} bytes off the end of item {@code slot}'s data, moving the packed data after it up. */
    private static void shrink(byte[] b, int off, int n, int slot, int d) {
        int dataEnd = TreeBlock.itemDataStart(b, off, n - 1);
        int itemStart = TreeBlock.itemDataStart(b, off, slot);
        int newSize = (int) TreeBlock.itemSize(b, off, slot) - d;
        int moveLen = itemStart + newSize - dataEnd;
        System.arraycopy(b, dataEnd, b, dataEnd + d, moveLen);
        Arrays.fill(b, dataEnd, dataEnd + d, (byte) 0);
        for (int j = slot; j < n; j++) {
            TreeBlock.setItemOffset(b, off, j, TreeBlock.itemOffset(b, off, j) + d);
        }
        TreeBlock.setItemSize(b, off, slot, newSize);
    }
}
