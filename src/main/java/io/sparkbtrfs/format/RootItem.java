package io.sparkbtrfs.format;

/**
 * Field access on a ROOT_ITEM's data (a tree's entry in the root tree; 439 bytes, older filesystems have the
 * 239-byte form without the fields from generation_v2 on, and items written by old kernels may end before the
 * level: {@link #hasLevel} says whether it is there).
 *
 * <pre>
 * inode item 0 (160) | generation 160 | root_dirid 168 | bytenr 176 | byte_limit 184 | bytes_used 192
 *   | last_snapshot 200 | flags 208 | refs 216 (u32) | drop_progress 220 (key) | drop_level 237 | level 238
 *   | generation_v2 239 | uuids 247 (3 × 16) | transids 295 (4 × u64) | times 327 (4 × 12) | reserved 375 (64)
 * </pre>
 */
public final class RootItem {
    public static final int GENERATION_OFFSET = 160;
    public static final int BYTENR_OFFSET = 176;
    public static final int LEVEL_OFFSET = 238;
    public static final int RESERVED_OFFSET = 375;
    public static final int RESERVED_SIZE = 64;
    /** Objectids of the trees that hold names: the default subvolume, subvolumes and snapshots (up to -256). */
    public static final long FS_TREE_OBJECTID = 5;
    public static final long FIRST_FREE_OBJECTID = 256;
    public static final long LAST_FREE_OBJECTID = -256L;
    /** Relocation trees (key offset: the tree they relocate) and log trees (offset: the tree they log). */
    public static final long TREE_RELOC_OBJECTID = -8L;
    public static final long TREE_LOG_OBJECTID = -6L;

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

    /** Whether tree {@code objectid} may hold names: the default subvolume, a subvolume, a relocation or log tree. */
    public static boolean holdsNames(long objectid) {
        return objectid == FS_TREE_OBJECTID || objectid == TREE_RELOC_OBJECTID || objectid == TREE_LOG_OBJECTID
                || (Long.compareUnsigned(objectid, FIRST_FREE_OBJECTID) >= 0
                        && Long.compareUnsigned(objectid, LAST_FREE_OBJECTID) <= 0);
    }
}
