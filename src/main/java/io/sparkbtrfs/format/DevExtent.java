package io.sparkbtrfs.format;

import java.util.Arrays;

/**
 * Field access on a dev extent (DEV_EXTENT, key (devid, 204, physical start), in the dev tree): which chunk a
 * range of a device belongs to.
 *
 * <pre>
 * dev extent := chunk_tree 0 | chunk_objectid 8 | chunk_offset 16 (the chunk's logical start) | length 24
 *               | chunk_tree_uuid 32 (16)                                                            (48 bytes)
 * </pre>
 */
public final class DevExtent {
    public static final int CHUNK_TREE_OFFSET = 0;
    public static final int CHUNK_OBJECTID_OFFSET = CHUNK_TREE_OFFSET + Long.BYTES;
    public static final int CHUNK_OFFSET_OFFSET = CHUNK_OBJECTID_OFFSET + Long.BYTES;
    public static final int LENGTH_OFFSET = CHUNK_OFFSET_OFFSET + Long.BYTES;
    public static final int CHUNK_TREE_UUID_OFFSET = LENGTH_OFFSET + Long.BYTES;
    public static final int CHUNK_TREE_UUID_SIZE = 16;
    public static final int SIZE = CHUNK_TREE_UUID_OFFSET + CHUNK_TREE_UUID_SIZE;

    private DevExtent() {
    }

    /** A copy of the chunk tree's uuid. */
    public static byte[] chunkTreeUuid(byte[] b, int item) {
        return Arrays.copyOfRange(b, item + CHUNK_TREE_UUID_OFFSET, item + CHUNK_TREE_UUID_OFFSET + CHUNK_TREE_UUID_SIZE);
    }

    /**
     * Writes a dev extent of the chunk at logical {@code chunkOffset}, {@code length} bytes long: chunk_tree and
     * chunk_objectid as btrfs writes them (the chunk tree, 256); the chunk tree uuid only if {@code chunkTreeUuid}
     * is not null.
     */
    public static void set(byte[] b, int item, long chunkOffset, long length, byte[] chunkTreeUuid) {
        LittleEndian.put64(b, item + CHUNK_TREE_OFFSET, Key.CHUNK_TREE_OBJECTID);
        LittleEndian.put64(b, item + CHUNK_OBJECTID_OFFSET, Key.FIRST_CHUNK_TREE_OBJECTID);
        LittleEndian.put64(b, item + CHUNK_OFFSET_OFFSET, chunkOffset);
        LittleEndian.put64(b, item + LENGTH_OFFSET, length);
        if (chunkTreeUuid != null) {
            System.arraycopy(chunkTreeUuid, 0, b, item + CHUNK_TREE_UUID_OFFSET, CHUNK_TREE_UUID_SIZE);
        }
    }
}
