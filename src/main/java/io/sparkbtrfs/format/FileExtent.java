package io.sparkbtrfs.format;

/**
 * Field access on a file extent item (EXTENT_DATA, key (inode, 108, file offset)).
 *
 * <pre>
 * file extent := generation 0 | ram_bytes 8 | compression 16 (u8) | encryption 17 (u8) | other_encoding 18 (u16)
 *                | type 20 (u8) | body at 21
 * body        := inline data, to the end of the item                                         (type INLINE)
 *              | disk_bytenr 21 | disk_num_bytes 29 | offset 37 | num_bytes 45               (REG, PREALLOC: 53 bytes)
 * </pre>
 */
public final class FileExtent {
    public static final int GENERATION_OFFSET = 0;
    public static final int RAM_BYTES_OFFSET = GENERATION_OFFSET + Long.BYTES;
    public static final int COMPRESSION_OFFSET = RAM_BYTES_OFFSET + Long.BYTES;
    public static final int ENCRYPTION_OFFSET = COMPRESSION_OFFSET + Byte.BYTES;
    public static final int OTHER_ENCODING_OFFSET = ENCRYPTION_OFFSET + Byte.BYTES;
    public static final int TYPE_OFFSET = OTHER_ENCODING_OFFSET + Short.BYTES;
    public static final int INLINE_DATA_OFFSET = TYPE_OFFSET + Byte.BYTES;
    public static final int DISK_BYTENR_OFFSET = INLINE_DATA_OFFSET;
    public static final int DISK_NUM_BYTES_OFFSET = DISK_BYTENR_OFFSET + Long.BYTES;
    public static final int OFFSET_OFFSET = DISK_NUM_BYTES_OFFSET + Long.BYTES;
    public static final int NUM_BYTES_OFFSET = OFFSET_OFFSET + Long.BYTES;
    public static final int REG_SIZE = NUM_BYTES_OFFSET + Long.BYTES;
    public static final byte TYPE_INLINE = 0;
    public static final byte TYPE_REG = 1;

    private FileExtent() {
    }

    /** The extent type (unvalidated; the item must be longer than {@link #TYPE_OFFSET}). */
    public static int type(byte[] b, int item) {
        return b[item + TYPE_OFFSET];
    }

    /** REG/PREALLOC: where the extent lies (0 for a hole). */
    public static long diskBytenr(byte[] b, int item) {
        return LittleEndian.u64(b, item + DISK_BYTENR_OFFSET);
    }

    public static long diskNumBytes(byte[] b, int item) {
        return LittleEndian.u64(b, item + DISK_NUM_BYTES_OFFSET);
    }
}
