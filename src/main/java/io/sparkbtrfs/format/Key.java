package io.sparkbtrfs.format;

import static io.sparkbtrfs.format.LittleEndian.u64;
import static io.sparkbtrfs.format.LittleEndian.u8;

/** A btrfs disk key (objectid u64, type u8, offset u64; 17 bytes), ordered as btrfs orders keys (unsigned). */
public record Key(long objectid, int type, long offset) implements Comparable<Key> {
    public static final int SIZE = 17;

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
    public static final int CHUNK_ITEM = 228;

    public static final long ROOT_TREE_OBJECTID = 1;
    public static final long EXTENT_TREE_OBJECTID = 2;
    public static final long CHUNK_TREE_OBJECTID = 3;
    public static final long REMAP_TREE_OBJECTID = 13;

    public static Key read(byte[] b, int off) {
        return new Key(u64(b, off), u8(b, off + 8), u64(b, off + 9));
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
