package io.sparkbtrfs.format;

/**
 * Offsets in an inode item (INODE_ITEM, 160 bytes; also the first 160 bytes of a ROOT_ITEM).
 *
 * <pre>
 * inode item: generation 0 | transid 8 | size 16 | nbytes 24 | block_group 32 | nlink 40 (u32) | uid 44 | gid 48
 *             | mode 52 | rdev 56 | flags 64 | sequence 72 | reserved 80 (4 × u64) | atime 112 | ctime 124
 *             | mtime 136 | otime 148 (12 each)
 * (a root item starts with one: {@link RootItem})
 * </pre>
 *
 * The reserved fields are written as zeros by the kernel and read by nobody.
 */
public final class InodeItem {
    public static final int SIZE = 160;
    public static final int RESERVED_OFFSET = 80;
    public static final int RESERVED_SIZE = 32;

    private InodeItem() {
    }
}
