package io.sparkbtrfs.format;

/**
 * Offsets in one entry of a dir_item (the data of DIR_ITEM, DIR_INDEX and XATTR_ITEM items, which hold one or more
 * entries back to back).
 *
 * <pre>
 * entry: location key 0 (17) | transid 17 (u64) | data_len 25 (u16) | name_len 27 (u16) | type 29 (u8)
 *        | name 30 (name_len) | data (data_len: the value of an xattr)
 * </pre>
 *
 * The key offset of a DIR_ITEM or XATTR_ITEM is {@link Crc32c#nameHash} of the name; DIR_INDEX keys carry the
 * directory index instead.
 */
public final class DirItem {
    public static final int LOCATION_OFFSET = 0;
    public static final int TRANSID_OFFSET = LOCATION_OFFSET + Key.SIZE;
    public static final int DATA_LEN_OFFSET = TRANSID_OFFSET + Long.BYTES;
    public static final int NAME_LEN_OFFSET = DATA_LEN_OFFSET + Short.BYTES;
    public static final int TYPE_OFFSET = NAME_LEN_OFFSET + Short.BYTES;
    /** Size of the fixed part; the name follows it. */
    public static final int HEADER_SIZE = TYPE_OFFSET + Byte.BYTES;

    private DirItem() {
    }

    public static int nameLen(byte[] b, int entry) {
        return LittleEndian.u16(b, entry + NAME_LEN_OFFSET);
    }

    public static int dataLen(byte[] b, int entry) {
        return LittleEndian.u16(b, entry + DATA_LEN_OFFSET);
    }

    public static long transid(byte[] b, int entry) {
        return LittleEndian.u64(b, entry + TRANSID_OFFSET);
    }

    public static void setTransid(byte[] b, int entry, long transid) {
        LittleEndian.put64(b, entry + TRANSID_OFFSET, transid);
    }

    /** Where the name of the entry at {@code entry} starts. */
    public static int name(int entry) {
        return entry + HEADER_SIZE;
    }

    /** The size of the whole entry (header, name and data). */
    public static int size(byte[] b, int entry) {
        return HEADER_SIZE + nameLen(b, entry) + dataLen(b, entry);
    }
}
