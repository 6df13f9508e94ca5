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
    private static final int REF_INDEX_OFFSET = 0;
    public static final int REF_NAME_LEN_OFFSET = REF_INDEX_OFFSET + Long.BYTES;
    public static final int REF_HEADER_SIZE = REF_NAME_LEN_OFFSET + Short.BYTES;
    public static final int EXTREF_PARENT_OFFSET = 0;
    private static final int EXTREF_INDEX_OFFSET = EXTREF_PARENT_OFFSET + Long.BYTES;
    public static final int EXTREF_NAME_LEN_OFFSET = EXTREF_INDEX_OFFSET + Long.BYTES;
    public static final int EXTREF_HEADER_SIZE = EXTREF_NAME_LEN_OFFSET + Short.BYTES;
    public static final int ROOT_REF_DIRID_OFFSET = 0;
    private static final int ROOT_REF_SEQUENCE_OFFSET = ROOT_REF_DIRID_OFFSET + Long.BYTES;
    public static final int ROOT_REF_NAME_LEN_OFFSET = ROOT_REF_SEQUENCE_OFFSET + Long.BYTES;
    public static final int ROOT_REF_HEADER_SIZE = ROOT_REF_NAME_LEN_OFFSET + Short.BYTES;

    private InodeRef() {
    }

    /** name_len of the INODE_REF entry at {@code b[entry..]}. */
    public static int refNameLen(byte[] b, int entry) {
        return LittleEndian.u16(b, entry + REF_NAME_LEN_OFFSET);
    }

    /** name_len of the INODE_EXTREF entry at {@code b[entry..]}. */
    public static int extrefNameLen(byte[] b, int entry) {
        return LittleEndian.u16(b, entry + EXTREF_NAME_LEN_OFFSET);
    }

    /** The directory an INODE_EXTREF entry names the inode in. */
    public static long extrefParent(byte[] b, int entry) {
        return LittleEndian.u64(b, entry + EXTREF_PARENT_OFFSET);
    }

    /** name_len of a ROOT_REF or ROOT_BACKREF at {@code b[item..]}. */
    public static int rootRefNameLen(byte[] b, int item) {
        return LittleEndian.u16(b, item + ROOT_REF_NAME_LEN_OFFSET);
    }

    /** The directory a ROOT_REF or ROOT_BACKREF names the subvolume in. */
    public static long rootRefDirid(byte[] b, int item) {
        return LittleEndian.u64(b, item + ROOT_REF_DIRID_OFFSET);
    }
}
