package io.sparkbtrfs.format;

/**
 * Field access on a ROOT_ITEM's data (a tree's entry in the root tree): an inode item (160 bytes), then
 * generation @160, root_dirid @168, bytenr @176 (the tree's root block), ..., level u8 @238. Items written
 * by old kernels may end before the level; {@link #hasLevel} says whether it is there.
 */
public final class RootItem {
    public static final int GENERATION_OFFSET = 160;
    public static final int BYTENR_OFFSET = 176;
    public static final int LEVEL_OFFSET = 238;

    private RootItem() {
    }

    /** Whether an item of {@code size} bytes holds the root block's address. */
    public static boolean hasBytenr(long size) {
        return size >= BYTENR_OFFSET + 8;
    }

    /** Whether an item of {@code size} bytes holds the root block's level. */
    public static boolean hasLevel(long size) {
        return size > LEVEL_OFFSET;
    }

    /** The generation of the root block, as the kernel expects it when reading the tree. */
    public static long generation(byte[] b, int data) {
        return LittleEndian.u64(b, data + GENERATION_OFFSET);
    }

    public static long bytenr(byte[] b, int data) {
        return LittleEndian.u64(b, data + BYTENR_OFFSET);
    }

    public static int level(byte[] b, int data) {
        return LittleEndian.u8(b, data + LEVEL_OFFSET);
    }
}
