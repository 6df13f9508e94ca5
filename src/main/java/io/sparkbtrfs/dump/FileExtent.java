package io.sparkbtrfs.dump;

/** Offsets in a file_extent_item (EXTENT_DATA): type u8 @20; inline data from 21; REG/PREALLOC disk_bytenr @21, disk_num_bytes @29. */
final class FileExtent {
    static final int TYPE_OFFSET = 20;
    static final int INLINE_DATA_OFFSET = 21;
    static final int DISK_BYTENR_OFFSET = 21;
    static final int DISK_NUM_BYTES_OFFSET = 29;
    static final int REG_SIZE = 53;
    static final byte TYPE_INLINE = 0;
    static final byte TYPE_REG = 1;

    private FileExtent() {
    }
}
