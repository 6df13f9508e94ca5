package io.sparkbtrfs.image;

/**
 * The metadump image format of btrfs-image, as a grammar:
 *
 * <pre>
 * image   := cluster+                        (EOF after the last cluster; no terminator)
 * cluster := index payload{nritems} pad      (each cluster starts at a multiple of 1024)
 * index   := magic u64 | bytenr u64 (file offset of this index) | nritems u32 | compress u8
 *            | nritems × (item bytenr u64 (logical) | item size u32 (stored size)) | unused up to 1024
 * payload := raw content (compress 0) | one zlib stream of the content (compress 1)
 * pad     := zero bytes up to the next multiple of 1024
 * </pre>
 *
 * Unused index bytes 21+12·n .. 1016 keep entries of earlier clusters in the reference writer (it
 * reuses one buffer); bytes 1017..1023 are always zero.
 */
public final class MetadumpFormat {
    public static final int INDEX_SIZE = 1024;
    public static final int HEADER_SIZE = 21;
    public static final int ENTRY_SIZE = 12;
    public static final int MAX_ITEMS = (INDEX_SIZE - HEADER_SIZE) / ENTRY_SIZE; // 83
    /** End (exclusive) of the entry area that any writer ever touches: 21 + 83·12. */
    public static final int ENTRIES_END = HEADER_SIZE + MAX_ITEMS * ENTRY_SIZE;

    public static final long MAGIC_V0 = 0xbd5c25e27295668bL;
    public static final long MAGIC_V1 = 0x31765f506d55445fL; // "_DUmP_v1"
    /**
     * Our own flavour: v0 layout, payloads are zstd frames (compress flag 2). The reference does not know
     * this magic and rejects the image instead of restoring garbage (it treats unknown compress flags as raw).
     */
    public static final long MAGIC_ZSTD = 0x305f7473_7a42535fL; // "_SBzst_0"
    public static final long MAX_PENDING_V0 = 256 * 1024;
    public static final long MAX_PENDING_V1 = 256L * 1024 * 1024;

    public static final int COMPRESS_NONE = 0;
    public static final int COMPRESS_ZLIB = 1;
    public static final int COMPRESS_ZSTD = 2;

    private MetadumpFormat() {
    }

    /**
     * The most one item's content may inflate to in an image of this magic: twice the version's merge
     * limit, as the reference allows (a v1 item up to 512 MiB, v0 and zstd items up to 512 KiB).
     */
    public static int itemLimit(long magic) {
        return (int) Math.min(Integer.MAX_VALUE - 8, 2 * (magic == MAGIC_V1 ? MAX_PENDING_V1 : MAX_PENDING_V0));
    }

    public static long alignUp(long offset) {
        return (offset + INDEX_SIZE - 1) & -INDEX_SIZE;
    }
}
