package io.sparkbtrfs.format;

import static io.sparkbtrfs.format.LittleEndian.u64;
import static io.sparkbtrfs.format.LittleEndian.u8;

/**
 * A btrfs disk key, ordered as btrfs orders keys (unsigned):
 *
 * <pre>
 * key := objectid 0 (u64) | type 8 (u8) | offset 9 (u64)      (17 bytes)
 * </pre>
 */
public record Key(long objectid, int type, long offset) implements Comparable<Key> {
    public static final int OBJECTID_OFFSET = 0;
    public static final int TYPE_OFFSET = OBJECTID_OFFSET + Long.BYTES;
    public static final int OFFSET_OFFSET = TYPE_OFFSET + Byte.BYTES;
    public static final int SIZE = OFFSET_OFFSET + Long.BYTES;

    public static final int INODE_ITEM = 1;
    public static final int INODE_REF = 12;
    public static final int INODE_EXTREF = 13;
    public static final int XATTR_ITEM = 24;
    public static final int DIR_ITEM = 84;
    public static final int DIR_INDEX = 96;
    public static final int EXTENT_DATA = 108;
    public static final int OBSOLETE_CSUM_ITEM = 120;
    public static final int EXTENT_CSUM = 128;
    public static final int ROOT_ITEM = 132;
    public static final int ROOT_BACKREF = 144;
    public static final int ROOT_REF = 156;
    public static final int EXTENT_ITEM = 168;
    public static final int METADATA_ITEM = 169;
    public static final int BLOCK_GROUP_ITEM = 192;
    public static final int DEV_EXTENT = 204;
    public static final int DEV_ITEM = 216;
    public static final int CHUNK_ITEM = 228;
    /** Device statistics (key offset: the devid), in the dev tree. */
    public static final int PERSISTENT_ITEM = 249;

    public static final long ROOT_TREE_OBJECTID = 1;
    public static final long EXTENT_TREE_OBJECTID = 2;
    public static final long CHUNK_TREE_OBJECTID = 3;
    public static final long DEV_TREE_OBJECTID = 4;
    public static final long BLOCK_GROUP_TREE_OBJECTID = 11;
    /** Objectid of the DEV_ITEMs in the chunk tree. */
    public static final long DEV_ITEMS_OBJECTID = 1;
    /** Objectid of the CHUNK_ITEMs in the chunk tree (and of the chunk a dev extent belongs to). */
    public static final long FIRST_CHUNK_TREE_OBJECTID = 256;
    public static final long REMAP_TREE_OBJECTID = 13;

    public static Key read(byte[] b, int off) {
        return new Key(u64(b, off + OBJECTID_OFFSET), u8(b, off + TYPE_OFFSET), u64(b, off + OFFSET_OFFSET));
    }

    /** Writes this key at {@code b[off..]}. */
    public void write(byte[] b, int off) {
        LittleEndian.put64(b, off + OBJECTID_OFFSET, objectid);
        b[off + TYPE_OFFSET] = (byte) type;
        LittleEndian.put64(b, off + OFFSET_OFFSET, offset);
    }

    @Override
    public int compareTo(Key o) {
        int c = Long.compareUnsigned(objectid, o.objectid);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(type, o.type);
        return c != 0 ? c : Long.compareUnsigned(offset, o.offset);
    }

    @Override
    public String toString() {
        return "(" + Long.toUnsignedString(objectid) + " " + type + " " + Long.toUnsignedString(offset) + ")";
    }
}
