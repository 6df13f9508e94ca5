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
    public static final int GENERATION_OFFSET = InodeItem.SIZE;
    private static final int ROOT_DIRID_OFFSET = GENERATION_OFFSET + Long.BYTES;
    public static final int BYTENR_OFFSET = ROOT_DIRID_OFFSET + Long.BYTES;
    private static final int BYTE_LIMIT_OFFSET = BYTENR_OFFSET + Long.BYTES;
    private static final int BYTES_USED_OFFSET = BYTE_LIMIT_OFFSET + Long.BYTES;
    private static final int LAST_SNAPSHOT_OFFSET = BYTES_USED_OFFSET + Long.BYTES;
    private static final int FLAGS_OFFSET = LAST_SNAPSHOT_OFFSET + Long.BYTES;
    private static final int REFS_OFFSET = FLAGS_OFFSET + Long.BYTES;
    private static final int DROP_PROGRESS_OFFSET = REFS_OFFSET + Integer.BYTES;
    private static final int DROP_LEVEL_OFFSET = DROP_PROGRESS_OFFSET + Key.SIZE;
    public static final int LEVEL_OFFSET = DROP_LEVEL_OFFSET + Byte.BYTES;
    /** Where the items of the older 239-byte form end. */
    public static final int GENERATION_V2_OFFSET = LEVEL_OFFSET + Byte.BYTES;
    private static final int UUIDS_OFFSET = GENERATION_V2_OFFSET + Long.BYTES;
    private static final int TRANSIDS_OFFSET = UUIDS_OFFSET + 3 * 16;
    private static final int TIMES_OFFSET = TRANSIDS_OFFSET + 4 * Long.BYTES;
    public static final int RESERVED_OFFSET = TIMES_OFFSET + 4 * InodeItem.TIMESPEC_SIZE;
    public static final int RESERVED_SIZE = 8 * Long.BYTES;
    public static final int SIZE = RESERVED_OFFSET + RESERVED_SIZE;
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

    /** Zeroes the reserved bytes of a root item of {@code size} bytes at {@code b[data..]}, if it has them. */
    public static void clearReserved(byte[] b, int data, int size) {
        Zeros.clear(b, data, size, RESERVED_OFFSET, RESERVED_SIZE);
    }

    /** Whether tree {@code objectid} may hold names: the default subvolume, a subvolume, a relocation or log tree. */
    public static boolean holdsNames(long objectid) {
        return objectid == FS_TREE_OBJECTID || objectid == TREE_RELOC_OBJECTID || objectid == TREE_LOG_OBJECTID
                || (Long.compareUnsigned(objectid, FIRST_FREE_OBJECTID) >= 0
                        && Long.compareUnsigned(objectid, LAST_FREE_OBJECTID) <= 0);
    }
}
