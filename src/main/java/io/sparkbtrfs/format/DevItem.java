package io.sparkbtrfs.format;

import static io.sparkbtrfs.format.LittleEndian.u64;

import java.util.Arrays;

/**
 * Field access on a dev item (the data of a DEV_ITEM in the chunk tree, key (1, DEV_ITEM, devid), and the
 * superblock's embedded copy for the device it lies on: {@link Superblock#DEV_ITEM_OFFSET}).
 *
 * <pre>
 * dev item := devid 0 | total_bytes 8 | bytes_used 16 | io_align 24 (u32) | io_width 28 (u32)
 *             | sector_size 32 (u32) | type 36 | generation 44 | start_offset 52 | dev_group 60 (u32)
 *             | seek_speed 64 (u8) | bandwidth 65 (u8) | uuid 66 (16) | fsid 82 (16)      (98 bytes)
 * </pre>
 *
 * Accessors take the array and the offset of the item's first byte and do not validate.
 */
public final class DevItem {
    public static final int DEVID_OFFSET = 0;
    public static final int TOTAL_BYTES_OFFSET = DEVID_OFFSET + Long.BYTES;
    public static final int BYTES_USED_OFFSET = TOTAL_BYTES_OFFSET + Long.BYTES;
    private static final int IO_ALIGN_OFFSET = BYTES_USED_OFFSET + Long.BYTES;
    private static final int IO_WIDTH_OFFSET = IO_ALIGN_OFFSET + Integer.BYTES;
    private static final int SECTOR_SIZE_OFFSET = IO_WIDTH_OFFSET + Integer.BYTES;
    private static final int TYPE_OFFSET = SECTOR_SIZE_OFFSET + Integer.BYTES;
    private static final int GENERATION_OFFSET = TYPE_OFFSET + Long.BYTES;
    private static final int START_OFFSET_OFFSET = GENERATION_OFFSET + Long.BYTES;
    private static final int DEV_GROUP_OFFSET = START_OFFSET_OFFSET + Long.BYTES;
    private static final int SEEK_SPEED_OFFSET = DEV_GROUP_OFFSET + Integer.BYTES;
    private static final int BANDWIDTH_OFFSET = SEEK_SPEED_OFFSET + Byte.BYTES;
    public static final int UUID_OFFSET = BANDWIDTH_OFFSET + Byte.BYTES;
    public static final int UUID_SIZE = 16;
    public static final int FSID_OFFSET = UUID_OFFSET + UUID_SIZE;
    public static final int SIZE = FSID_OFFSET + Superblock.FSID_SIZE;

    private DevItem() {
    }

    public static long devid(byte[] b, int item) {
        return u64(b, item + DEVID_OFFSET);
    }

    public static long totalBytes(byte[] b, int item) {
        return u64(b, item + TOTAL_BYTES_OFFSET);
    }

    public static void setTotalBytes(byte[] b, int item, long totalBytes) {
        LittleEndian.put64(b, item + TOTAL_BYTES_OFFSET, totalBytes);
    }

    public static void setBytesUsed(byte[] b, int item, long bytesUsed) {
        LittleEndian.put64(b, item + BYTES_USED_OFFSET, bytesUsed);
    }

    /** A copy of the device's uuid. */
    public static byte[] uuid(byte[] b, int item) {
        return Arrays.copyOfRange(b, item + UUID_OFFSET, item + UUID_OFFSET + UUID_SIZE);
    }
}
