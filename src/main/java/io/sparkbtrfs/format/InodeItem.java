package io.sparkbtrfs.format;

/**
 * Offsets in an inode item (INODE_ITEM, 160 bytes; also the first 160 bytes of a ROOT_ITEM).
 *
 * <pre>
 * inode item: generation 0 | transid 8 | size 16 | nbytes 24 | block_group 32 | nlink 40 (u32) | uid 44 (u32)
 *             | gid 48 (u32) | mode 52 (u32) | rdev 56 | flags 64 | sequence 72 | reserved 80 (4 × u64)
 *             | atime 112 | ctime 124 | mtime 136 | otime 148 (timespecs: sec u64 | nsec u32)
 * (a root item starts with one: {@link RootItem})
 * </pre>
 *
 * The reserved fields are written as zeros by the kernel and read by nobody.
 */
public final class InodeItem {
    public static final int GENERATION_OFFSET = 0;
    private static final int TRANSID_OFFSET = GENERATION_OFFSET + Long.BYTES;
    private static final int SIZE_OFFSET = TRANSID_OFFSET + Long.BYTES;
    private static final int NBYTES_OFFSET = SIZE_OFFSET + Long.BYTES;
    private static final int BLOCK_GROUP_OFFSET = NBYTES_OFFSET + Long.BYTES;
    private static final int NLINK_OFFSET = BLOCK_GROUP_OFFSET + Long.BYTES;
    private static final int UID_OFFSET = NLINK_OFFSET + Integer.BYTES;
    private static final int GID_OFFSET = UID_OFFSET + Integer.BYTES;
    private static final int MODE_OFFSET = GID_OFFSET + Integer.BYTES;
    private static final int RDEV_OFFSET = MODE_OFFSET + Integer.BYTES;
    private static final int FLAGS_OFFSET = RDEV_OFFSET + Long.BYTES;
    private static final int SEQUENCE_OFFSET = FLAGS_OFFSET + Long.BYTES;
    public static final int RESERVED_OFFSET = SEQUENCE_OFFSET + Long.BYTES;
    public static final int RESERVED_SIZE = 4 * Long.BYTES;
    private static final int ATIME_OFFSET = RESERVED_OFFSET + RESERVED_SIZE;
    /** A timespec: sec u64 | nsec u32. */
    public static final int TIMESPEC_SIZE = Long.BYTES + Integer.BYTES;
    public static final int SIZE = ATIME_OFFSET + 4 * TIMESPEC_SIZE;

    private InodeItem() {
    }

    /** Zeroes the reserved bytes of an inode item of {@code size} bytes at {@code b[data..]}, if it has them. */
    public static void clearReserved(byte[] b, int data, int size) {
        Zeros.clear(b, data, size, RESERVED_OFFSET, RESERVED_SIZE);
    }
}
