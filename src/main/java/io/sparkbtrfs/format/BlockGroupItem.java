package io.sparkbtrfs.format;

/**
 * Field access on a block group item (BLOCK_GROUP_ITEM, key (logical start, 192, length), in the extent tree or,
 * with the block-group-tree feature, in the block group tree).
 *
 * <pre>
 * block group item := used 0 | chunk_objectid 8 | flags 16 (the chunk's type: kind and profile)      (24 bytes)
 * </pre>
 */
public final class BlockGroupItem {
    public static final int USED_OFFSET = 0;
    public static final int CHUNK_OBJECTID_OFFSET = USED_OFFSET + Long.BYTES;
    public static final int FLAGS_OFFSET = CHUNK_OBJECTID_OFFSET + Long.BYTES;
    public static final int SIZE = FLAGS_OFFSET + Long.BYTES;

    private BlockGroupItem() {
    }

    public static long flags(byte[] b, int item) {
        return LittleEndian.u64(b, item + FLAGS_OFFSET);
    }

    public static void setFlags(byte[] b, int item, long flags) {
        LittleEndian.put64(b, item + FLAGS_OFFSET, flags);
    }
}
