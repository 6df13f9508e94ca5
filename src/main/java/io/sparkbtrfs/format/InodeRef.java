package io.sparkbtrfs.format;

/**
 * Offsets in the name-bearing back references, each a run of entries (INODE_REF, INODE_EXTREF) or one entry
 * (ROOT_REF, ROOT_BACKREF).
 *
 * <pre>
 * INODE_REF entry   (key: inode, 12, parent dir):     index 0 (u64) | name_len 8 (u16) | name 10
 * INODE_EXTREF entry (key: inode, 13, crc32c(parent, name)):
 *                                                     parent 0 (u64) | index 8 (u64) | name_len 16 (u16) | name 18
 * ROOT_REF / ROOT_BACKREF (key: root, 156/144, root): dirid 0 (u64) | sequence 8 (u64) | name_len 16 (u16) | name 18
 * </pre>
 */
public final class InodeRef {
    public static final int REF_NAME_LEN_OFFSET = 8;
    public static final int REF_HEADER_SIZE = 10;
    public static final int EXTREF_PARENT_OFFSET = 0;
    public static final int EXTREF_NAME_LEN_OFFSET = 16;
    public static final int EXTREF_HEADER_SIZE = 18;
    public static final int ROOT_REF_DIRID_OFFSET = 0;
    public static final int ROOT_REF_NAME_LEN_OFFSET = 16;
    public static final int ROOT_REF_HEADER_SIZE = 18;

    private InodeRef() {
    }
}
