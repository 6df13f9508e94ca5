package io.sparkbtrfs.sanitize;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Synthetic leaves for the sanitizer unit tests, and a reader of the names in real leaves (of image items).
 * A built leaf sits at {@link #OFF} inside a larger array whose other bytes are {@link #SENTINEL}.
 */
final class Leaves {
    static final int NODESIZE = 4096;
    static final int OFF = 4096 + 33;
    static final int TAIL = 777;
    static final byte SENTINEL = (byte) 0xA5;
    static final long ROOT_TREE = 1;
    static final long FS_TREE = 5;

    static final int INODE_ITEM = 1;
    static final int ROOT_ITEM = 132;
    static final int INODE_REF = 12;
    static final int INODE_EXTREF = 13;
    static final int XATTR_ITEM = 24;
    static final int DIR_ITEM = 84;
    static final int DIR_INDEX = 96;
    static final int EXTENT_CSUM = 128;
    static final int ROOT_BACKREF = 144;
    static final int ROOT_REF = 156;

    private Leaves() {
    }

    /** An item: key and data. */
    record It(long objectid, int type, long offset, byte[] data) {
    }

    static It it(long objectid, int type, long offset, byte[]... parts) {
        return new It(objectid, type, offset, concat(parts));
    }

    /** A well-formed leaf of {@code owner} (item 0's data last in the block), at {@link #OFF}. */
    static byte[] leaf(long owner, It... items) {
        byte[] b = new byte[OFF + NODESIZE + TAIL];
        Arrays.fill(b, SENTINEL);
        Arrays.fill(b, OFF, OFF + NODESIZE, (byte) 0x3C);
        Arrays.fill(b, OFF, OFF + TreeBlock.HEADER_SIZE, (byte) 0);
        LittleEndian.put64(b, OFF + 48, 30_000_000L);
        LittleEndian.put64(b, OFF + 80, 9);
        LittleEndian.put64(b, OFF + 88, owner);
        LittleEndian.put32(b, OFF + 96, items.length);
        int dataEnd = NODESIZE - TreeBlock.HEADER_SIZE;
        for (int i = 0; i < items.length; i++) {
            int h = OFF + TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * i;
            LittleEndian.put64(b, h, items[i].objectid());
            b[h + 8] = (byte) items[i].type();
            LittleEndian.put64(b, h + 9, items[i].offset());
            dataEnd -= items[i].data().length;
            LittleEndian.put32(b, h + 17, dataEnd);
            LittleEndian.put32(b, h + 21, items[i].data().length);
            System.arraycopy(items[i].data(), 0, b, OFF + TreeBlock.HEADER_SIZE + dataEnd, items[i].data().length);
        }
        return b;
    }

    static int start(byte[] b, int slot) {
        return TreeBlock.itemDataStart(b, OFF, slot);
    }

    static int size(byte[] b, int slot) {
        return (int) TreeBlock.itemSize(b, OFF, slot);
    }

    /**
     * Applies {@code t} to every item of the leaf at {@link #OFF}, then lets it finish the leaf (re-keying), as
     * BlockScrubber does (without the rest).
     */
    static void applyAll(NameSanitizer t, byte[] b) {
        int n = (int) TreeBlock.nritems(b, OFF);
        for (int slot = 0; slot < n; slot++) {
            if (t.handles(TreeBlock.itemType(b, OFF, slot))) {
                t.apply(b, OFF, slot, start(b, slot), size(b, slot));
            }
        }
        t.finishLeaf(b, OFF, NODESIZE, n);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8)};
    }

    static byte[] u64(long v) {
        byte[] b = new byte[8];
        LittleEndian.put64(b, 0, v);
        return b;
    }

    /** A dir_item entry (DIR_ITEM, DIR_INDEX, XATTR_ITEM) with explicit length fields. */
    static byte[] dirEntryRaw(long locObjectid, int locType, int nameLen, int dataLen, byte[] name, byte[] data) {
        return concat(u64(locObjectid), new byte[] {(byte) locType}, u64(0), u64(7), u16(dataLen), u16(nameLen),
                new byte[] {1}, name, data);
    }

    static byte[] dirEntry(long locObjectid, int locType, String name, byte[] data) {
        byte[] n = bytes(name);
        return dirEntryRaw(locObjectid, locType, n.length, data.length, n, data);
    }

    static byte[] dirEntry(long locObjectid, String name) {
        return dirEntry(locObjectid, INODE_ITEM, name, new byte[0]);
    }

    static byte[] xattr(String name, byte[] value) {
        return dirEntry(0, 0, name, value);
    }

    static byte[] inodeRef(long index, String name) {
        byte[] n = bytes(name);
        return concat(u64(index), u16(n.length), n);
    }

    static byte[] extref(long parent, long index, String name) {
        byte[] n = bytes(name);
        return concat(u64(parent), u64(index), u16(n.length), n);
    }

    static byte[] rootRef(long dirid, long sequence, String name) {
        byte[] n = bytes(name);
        return concat(u64(dirid), u64(sequence), u16(n.length), n);
    }

    /** One parsed entry of a name-bearing item: where its name and data are (absolute array offsets). */
    record Entry(int name, int nameLen, int data, int dataLen) {
        byte[] name(byte[] b) {
            return Arrays.copyOfRange(b, name, name + nameLen);
        }

        byte[] data(byte[] b) {
            return Arrays.copyOfRange(b, data, data + dataLen);
        }
    }

    /** The entries of an item of a name-bearing type, stopping at the first one that does not fit. */
    static List<Entry> entries(byte[] b, int type, int start, int size) {
        List<Entry> out = new ArrayList<>();
        int end = start + size;
        switch (type) {
            case DIR_ITEM, DIR_INDEX, XATTR_ITEM -> {
                for (int p = start; p + 30 <= end;) {
                    int dataLen = LittleEndian.u16(b, p + 25);
                    int nameLen = LittleEndian.u16(b, p + 27);
                    if (p + 30 + nameLen + dataLen > end) {
                        break;
                    }
                    out.add(new Entry(p + 30, nameLen, p + 30 + nameLen, dataLen));
                    p += 30 + nameLen + dataLen;
                }
            }
            case INODE_REF, INODE_EXTREF -> {
                int h = type == INODE_REF ? 10 : 18;
                for (int p = start; p + h <= end;) {
                    int nameLen = LittleEndian.u16(b, p + h - 2);
                    if (p + h + nameLen > end) {
                        break;
                    }
                    out.add(new Entry(p + h, nameLen, p + h + nameLen, 0));
                    p += h + nameLen;
                }
            }
            case ROOT_REF, ROOT_BACKREF -> {
                if (size >= 18 && start + 18 + LittleEndian.u16(b, start + 16) <= end) {
                    out.add(new Entry(start + 18, LittleEndian.u16(b, start + 16), end, 0));
                }
            }
            default -> {
            }
        }
        return out;
    }

    static List<Entry> entries(byte[] b, int slot) {
        return entries(b, TreeBlock.itemType(b, OFF, slot), start(b, slot), size(b, slot));
    }

    /** A name found in a real leaf: the block, slot and entry number, the key, and the name bytes. */
    record Found(long block, long owner, int slot, int entry, long objectid, int type, long offset, byte[] name) {
        String where() {
            return block + "/" + slot + "/" + entry;
        }
    }

    /**
     * Every name of every name-bearing item of every leaf in {@code content} (a run of tree blocks of
     * {@code nodesize} starting at logical {@code bytenr}); blocks whose header bytenr does not match, and items that
     * do not fit, are skipped.
     */
    static List<Found> names(long bytenr, byte[] content, int nodesize) {
        List<Found> out = new ArrayList<>();
        for (int off = 0; off + nodesize <= content.length; off += nodesize) {
            if (TreeBlock.bytenr(content, off) != bytenr + off || TreeBlock.level(content, off) != 0) {
                continue;
            }
            int n = (int) Math.min(TreeBlock.nritems(content, off), TreeBlock.maxItems(nodesize, 0));
            for (int slot = 0; slot < n; slot++) {
                if (!TreeBlock.itemInBounds(content, off, nodesize, slot, n)) {
                    continue;
                }
                int type = TreeBlock.itemType(content, off, slot);
                var key = TreeBlock.itemKey(content, off, slot);
                List<Entry> es = entries(content, type, TreeBlock.itemDataStart(content, off, slot),
                        (int) TreeBlock.itemSize(content, off, slot));
                for (int e = 0; e < es.size(); e++) {
                    out.add(new Found(bytenr + off, TreeBlock.owner(content, off), slot, e, key.objectid(), type, key.offset(), es.get(e).name(content)));
                }
            }
        }
        return out;
    }

    /** Every item of type {@code type} in the leaves of {@code content}: its data. */
    static List<byte[]> itemData(long bytenr, byte[] content, int nodesize, int type) {
        List<byte[]> out = new ArrayList<>();
        for (int off = 0; off + nodesize <= content.length; off += nodesize) {
            if (TreeBlock.bytenr(content, off) != bytenr + off || TreeBlock.level(content, off) != 0) {
                continue;
            }
            int n = (int) Math.min(TreeBlock.nritems(content, off), TreeBlock.maxItems(nodesize, 0));
            for (int slot = 0; slot < n; slot++) {
                if (TreeBlock.itemInBounds(content, off, nodesize, slot, n) && TreeBlock.itemType(content, off, slot) == type) {
                    int s = TreeBlock.itemDataStart(content, off, slot);
                    out.add(Arrays.copyOfRange(content, s, s + (int) TreeBlock.itemSize(content, off, slot)));
                }
            }
        }
        return out;
    }

    /** One entry of a DIR_ITEM, DIR_INDEX or XATTR_ITEM found in a real leaf, with its leaf's generation. */
    record DirEntry(long block, int type, long generation, long transid, byte[] name) {
    }

    /** Every dir entry of every leaf in {@code content} (as {@link #names}). */
    static List<DirEntry> dirEntries(long bytenr, byte[] content, int nodesize) {
        List<DirEntry> out = new ArrayList<>();
        forEachLeaf(bytenr, content, nodesize, (off, n) -> {
            for (int slot = 0; slot < n; slot++) {
                int type = TreeBlock.itemType(content, off, slot);
                if (!TreeBlock.itemInBounds(content, off, nodesize, slot, n)
                        || (type != DIR_ITEM && type != DIR_INDEX && type != XATTR_ITEM)) {
                    continue;
                }
                for (Entry e : entries(content, type, TreeBlock.itemDataStart(content, off, slot),
                        (int) TreeBlock.itemSize(content, off, slot))) {
                    out.add(new DirEntry(bytenr + off, type, TreeBlock.generation(content, off),
                            LittleEndian.u64(content, e.name() - 30 + 17), e.name(content)));
                }
            }
        });
        return out;
    }

    /**
     * Which bytes of {@code content} are names (the name fields of every name-bearing item of every leaf): what a
     * scan for stale name bytes in all other fields leaves out.
     */
    static boolean[] nameFields(long bytenr, byte[] content, int nodesize) {
        boolean[] mask = new boolean[content.length];
        forEachLeaf(bytenr, content, nodesize, (off, n) -> {
            for (int slot = 0; slot < n; slot++) {
                if (!TreeBlock.itemInBounds(content, off, nodesize, slot, n)) {
                    continue;
                }
                for (Entry e : entries(content, TreeBlock.itemType(content, off, slot),
                        TreeBlock.itemDataStart(content, off, slot), (int) TreeBlock.itemSize(content, off, slot))) {
                    Arrays.fill(mask, e.name(), e.name() + e.nameLen(), true);
                }
            }
        });
        return mask;
    }

    interface LeafVisitor {
        void leaf(int off, int nritems);
    }

    /** Calls {@code v} with each leaf of {@code content} (as {@link #names}) and its bounded item count. */
    static void forEachLeaf(long bytenr, byte[] content, int nodesize, LeafVisitor v) {
        for (int off = 0; off + nodesize <= content.length; off += nodesize) {
            if (TreeBlock.bytenr(content, off) == bytenr + off && TreeBlock.level(content, off) == 0) {
                v.leaf(off, (int) Math.min(TreeBlock.nritems(content, off), TreeBlock.maxItems(nodesize, 0)));
            }
        }
    }
}
