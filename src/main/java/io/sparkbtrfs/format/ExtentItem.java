package io.sparkbtrfs.format;

/**
 * Field access on the fixed part of an extent item (EXTENT_ITEM, key (bytenr, 168, length); METADATA_ITEM, key
 * (bytenr, 169, level)) in the extent tree; inline back references follow it.
 *
 * <pre>
 * extent item := refs 0 | generation 8 | flags 16 | (tree block info, inline refs ...)      (fixed part: 24 bytes)
 * </pre>
 *
 * Shorter items are the extent ref format of btrfs before 2.6.31 ({@code BTRFS_EXTENT_ITEM_V0}).
 */
public final class ExtentItem {
    public static final int REFS_OFFSET = 0;
    public static final int GENERATION_OFFSET = REFS_OFFSET + Long.BYTES;
    public static final int FLAGS_OFFSET = GENERATION_OFFSET + Long.BYTES;
    public static final int SIZE = FLAGS_OFFSET + Long.BYTES;
    public static final long FLAG_DATA = 1;
    public static final long FLAG_TREE_BLOCK = 2;

    private ExtentItem() {
    }

    public static long flags(byte[] b, int item) {
        return LittleEndian.u64(b, item + FLAGS_OFFSET);
    }
}
