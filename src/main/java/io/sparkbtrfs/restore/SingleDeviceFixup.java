package io.sparkbtrfs.restore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.BlockGroupItem;
import io.sparkbtrfs.format.DevExtent;
import io.sparkbtrfs.format.DevItem;
import io.sparkbtrfs.format.RootItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Makes a multi-device filesystem restored onto one target consistent (what the reference does with a
 * transaction, spec §5.6), by rewriting tree blocks in place after the items are written:
 * <ul>
 * <li>block group items get the chunk's new single-device profile;</li>
 * <li>the dev tree gets exactly one DEV_EXTENT per stripe of the placed chunks on the primary device (and
 * no items of other devices), spread over the tree's existing leaves so its shape and every extent
 * reference stay valid;</li>
 * <li>the chunk tree keeps only the primary DEV_ITEM, with total and used bytes of the new layout;</li>
 * <li>the superblock's total_bytes and embedded dev item agree (the reference forgets the latter: bug 18).</li>
 * </ul>
 * Blocks keep their addresses and generations; only their contents and checksums change.
 */
final class SingleDeviceFixup {
    private static final long KEEP_TYPE = ChunkItem.KIND_BITS | ChunkItem.DUP;

    private final Target target;
    private final RestoreMap map;
    private final int nodesize;
    private final ChecksumType csum;
    private final long devid;
    private final Superblock sb;

    SingleDeviceFixup(Target target, RestoreMap map, Superblock sb) {
        this.target = target;
        this.map = map;
        this.nodesize = sb.nodesize();
        this.csum = sb.checksumType();
        this.devid = sb.devid();
        this.sb = sb;
    }

    /** Rewrites the trees and returns the superblock with total_bytes and the dev item updated. */
    byte[] run(byte[] superblock) throws RestoreException {
        long devSize = 0;
        long used = 0;
        List<long[]> extents = new ArrayList<>(); // physical, logical, length
        for (Placement p : map.placements()) {
            extents.add(new long[] {p.physical(), p.logical(), p.length()});
            if (p.physicalDup() != 0) {
                extents.add(new long[] {p.physicalDup(), p.logical(), p.length()});
            }
        }
        extents.sort((a, b) -> Long.compareUnsigned(a[0], b[0]));
        for (long[] e : extents) {
            devSize = Math.max(devSize, e[0] + e[2]);
            used += e[2];
        }
        long[] extentRoot = findRoot(Key.EXTENT_TREE_OBJECTID);
        long[] bgRoot = findRoot(Key.BLOCK_GROUP_TREE_OBJECTID);
        long[] devRoot = findRoot(Key.DEV_TREE_OBJECTID);
        if (extentRoot == null || devRoot == null) {
            throw new RestoreException("restored filesystem lacks an extent or dev tree root");
        }
        fixBlockGroups(bgRoot != null ? bgRoot : extentRoot);
        rebuildDevTree(devRoot, extents);
        long size = devSize;
        long bytesUsed = used;
        rewriteLeaves(sb.chunkRoot(), sb.chunkRootLevel(), Key.CHUNK_TREE_OBJECTID,
                block -> fixDevItems(block, size, bytesUsed));
        byte[] b = superblock.clone();
        Superblock.setTotalBytes(b, devSize);
        DevItem.setTotalBytes(b, Superblock.DEV_ITEM_OFFSET, devSize);
        DevItem.setBytesUsed(b, Superblock.DEV_ITEM_OFFSET, used);
        csum.store(b, 0, Superblock.SIZE);
        return b;
    }

    // ----------------------------------------------------------------- block I/O through the placement

    private byte[] read(long logical) throws RestoreException {
        Placement p = map.find(logical);
        if (p == null) {
            throw new RestoreException("restored tree block " + Long.toUnsignedString(logical) + " is in no chunk");
        }
        byte[] b = new byte[nodesize];
        target.read(p.physical() + (logical - p.logical()), b, 0, nodesize);
        if (TreeBlock.bytenr(b, 0) != logical || !csum.verify(b, 0, nodesize)) {
            throw new RestoreException("restored tree block " + Long.toUnsignedString(logical)
                    + " does not read back as written");
        }
        return b;
    }

    private void write(long logical, byte[] b) throws RestoreException {
        csum.store(b, 0, nodesize);
        Placement p = map.find(logical);
        target.write(p.physical() + (logical - p.logical()), b, 0, nodesize);
        if (p.physicalDup() != 0) {
            target.write(p.physicalDup() + (logical - p.logical()), b, 0, nodesize);
        }
    }

    // ----------------------------------------------------------------- generic tree passes

    @FunctionalInterface
    private interface LeafRewrite {
        /** Changes the leaf in place; returns whether it changed. */
        boolean apply(byte[] leaf) throws RestoreException;
    }

    /** Applies {@code rewrite} to every leaf and refreshes node keys; returns the subtree's first key. */
    private Key rewriteLeaves(long bytenr, int level, long owner, LeafRewrite rewrite) throws RestoreException {
        byte[] b = read(bytenr);
        if (TreeBlock.level(b, 0) != level) {
            throw new RestoreException("restored tree block " + Long.toUnsignedString(bytenr) + " has level "
                    + TreeBlock.level(b, 0) + ", expected " + level);
        }
        int n = (int) Math.min(TreeBlock.nritems(b, 0), TreeBlock.maxItems(nodesize, level));
        if (level == 0) {
            if (rewrite != null && rewrite.apply(b)) {
                write(bytenr, b);
            }
            return TreeBlock.nritems(b, 0) > 0 ? TreeBlock.itemKey(b, 0, 0) : null;
        }
        boolean changed = false;
        Key first = null;
        for (int slot = 0; slot < n; slot++) {
            Key childFirst = rewriteLeaves(TreeBlock.childPointer(b, 0, slot), level - 1, owner, rewrite);
            if (childFirst != null && !childFirst.equals(TreeBlock.nodeKey(b, 0, slot))) {
                TreeBlock.setNodeKey(b, 0, slot, childFirst);
                changed = true;
            }
            if (slot == 0) {
                first = TreeBlock.nodeKey(b, 0, slot);
            }
        }
        if (changed) {
            write(bytenr, b);
        }
        return first;
    }

    private long[] findRoot(long objectid) throws RestoreException {
        long[] found = {0, -1};
        rewriteLeaves(sb.root(), sb.rootLevel(), Key.ROOT_TREE_OBJECTID, leaf -> {
            int n = (int) TreeBlock.nritems(leaf, 0);
            for (int slot = 0; slot < n; slot++) {
                Key k = TreeBlock.itemKey(leaf, 0, slot);
                if (k.objectid() == objectid && k.type() == Key.ROOT_ITEM && found[1] < 0
                        && TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)
                        && RootItem.hasLevel(TreeBlock.itemSize(leaf, 0, slot))) {
                    int d = TreeBlock.itemDataStart(leaf, 0, slot);
                    found[0] = RootItem.bytenr(leaf, d);
                    found[1] = RootItem.level(leaf, d);
                }
            }
            return false;
        });
        return found[1] < 0 ? null : found;
    }

    // ----------------------------------------------------------------- the three fixes

    private void fixBlockGroups(long[] root) throws RestoreException {
        rewriteLeaves(root[0], (int) root[1], Key.EXTENT_TREE_OBJECTID, leaf -> {
            boolean changed = false;
            int n = (int) TreeBlock.nritems(leaf, 0);
            for (int slot = 0; slot < n; slot++) {
                if (TreeBlock.itemType(leaf, 0, slot) != Key.BLOCK_GROUP_ITEM
                        || !TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)
                        || TreeBlock.itemSize(leaf, 0, slot) < BlockGroupItem.SIZE) {
                    continue;
                }
                Placement p = map.find(TreeBlock.itemKey(leaf, 0, slot).objectid());
                if (p == null) {
                    continue;
                }
                int d = TreeBlock.itemDataStart(leaf, 0, slot);
                long flags = p.type() & KEEP_TYPE;
                if (BlockGroupItem.flags(leaf, d) != flags) {
                    BlockGroupItem.setFlags(leaf, d, flags);
                    changed = true;
                }
            }
            return changed;
        });
    }

    private boolean fixDevItems(byte[] leaf, long devSize, long used) {
        boolean changed = false;
        int n = (int) TreeBlock.nritems(leaf, 0);
        for (int slot = n - 1; slot >= 0; slot--) {
            Key k = TreeBlock.itemKey(leaf, 0, slot);
            if (k.objectid() != Key.DEV_ITEMS_OBJECTID || k.type() != Key.DEV_ITEM
                    || !TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)) {
                continue;
            }
            if (k.offset() == devid) {
                int d = TreeBlock.itemDataStart(leaf, 0, slot);
                DevItem.setTotalBytes(leaf, d, devSize);
                DevItem.setBytesUsed(leaf, d, used);
                changed = true;
            } else if (TreeBlock.nritems(leaf, 0) > 1) {
                deleteItem(leaf, slot);
                changed = true;
            }
        }
        return changed;
    }

    /** Removes item {@code slot}: later item headers move down, the data below it moves up. */
    private void deleteItem(byte[] leaf, int slot) {
        int n = (int) TreeBlock.nritems(leaf, 0);
        int size = (int) TreeBlock.itemSize(leaf, 0, slot);
        int dataEnd = TreeBlock.itemDataStart(leaf, 0, n - 1);
        int itemStart = TreeBlock.itemDataStart(leaf, 0, slot);
        System.arraycopy(leaf, dataEnd, leaf, dataEnd + size, itemStart - dataEnd);
        Arrays.fill(leaf, dataEnd, dataEnd + size, (byte) 0);
        for (int j = slot + 1; j < n; j++) {
            TreeBlock.setItemOffset(leaf, 0, j, TreeBlock.itemOffset(leaf, 0, j) + size);
        }
        int from = TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * (slot + 1);
        System.arraycopy(leaf, from, leaf, from - TreeBlock.ITEM_SIZE, TreeBlock.ITEM_SIZE * (n - slot - 1));
        int last = TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * (n - 1);
        Arrays.fill(leaf, last, last + TreeBlock.ITEM_SIZE, (byte) 0);
        TreeBlock.setNritems(leaf, 0, n - 1);
    }

    /** One dev tree item: key and data. */
    private record Item(Key key, byte[] data) {
    }

    private void rebuildDevTree(long[] root, List<long[]> extents) throws RestoreException {
        List<Long> leaves = new ArrayList<>();
        List<Item> kept = new ArrayList<>();
        byte[][] uuid = {null};
        rewriteLeaves(root[0], (int) root[1], Key.DEV_TREE_OBJECTID, leaf -> {
            leaves.add(TreeBlock.bytenr(leaf, 0));
            int n = (int) TreeBlock.nritems(leaf, 0);
            for (int slot = 0; slot < n; slot++) {
                if (!TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)) {
                    throw new RestoreException("dev tree leaf " + TreeBlock.bytenr(leaf, 0) + " is corrupted");
                }
                Key k = TreeBlock.itemKey(leaf, 0, slot);
                int d = TreeBlock.itemDataStart(leaf, 0, slot);
                byte[] data = Arrays.copyOfRange(leaf, d, d + (int) TreeBlock.itemSize(leaf, 0, slot));
                if (k.type() == Key.DEV_EXTENT) {
                    if (uuid[0] == null && data.length >= DevExtent.SIZE) {
                        uuid[0] = DevExtent.chunkTreeUuid(data, 0);
                    }
                    continue;
                }
                if (k.type() == Key.PERSISTENT_ITEM && k.offset() != devid) {
                    continue; // statistics of a device that is no longer there
                }
                kept.add(new Item(k, data));
            }
            return false;
        });
        for (long[] e : extents) {
            byte[] d = new byte[DevExtent.SIZE];
            DevExtent.set(d, 0, e[1], e[2], uuid[0]);
            kept.add(new Item(new Key(devid, Key.DEV_EXTENT, e[0]), d));
        }
        kept.sort((a, b) -> a.key().compareTo(b.key()));
        int leafCount = leaves.size();
        if (kept.size() < leafCount) {
            throw new RestoreException("cannot rewrite the dev tree: " + kept.size() + " items for " + leafCount + " leaves");
        }
        for (int i = 0; i < leafCount; i++) {
            int from = (int) ((long) kept.size() * i / leafCount);
            int to = (int) ((long) kept.size() * (i + 1) / leafCount);
            byte[] leaf = read(leaves.get(i));
            fillLeaf(leaf, kept.subList(from, to));
            write(leaves.get(i), leaf);
        }
        rewriteLeaves(root[0], (int) root[1], Key.DEV_TREE_OBJECTID, null);
    }

    private void fillLeaf(byte[] leaf, List<Item> items) throws RestoreException {
        Arrays.fill(leaf, TreeBlock.HEADER_SIZE, nodesize, (byte) 0);
        int dataTop = nodesize - TreeBlock.HEADER_SIZE;
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            dataTop -= it.data().length;
            int h = TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * i;
            if (dataTop + TreeBlock.HEADER_SIZE < h + TreeBlock.ITEM_SIZE) {
                throw new RestoreException("cannot rewrite the dev tree: a leaf overflows");
            }
            TreeBlock.setItem(leaf, 0, i, it.key().objectid(), it.key().type(), it.key().offset(), dataTop,
                    it.data().length);
            System.arraycopy(it.data(), 0, leaf, TreeBlock.HEADER_SIZE + dataTop, it.data().length);
        }
        TreeBlock.setNritems(leaf, 0, items.size());
    }
}
