package io.sparkbtrfs.image;

/**
 * The metadump image format of btrfs-image, and our own zstd flavours, as a grammar:
 *
 * <pre>
 * image   := cluster+                        (EOF after the last cluster; no terminator)
 * cluster := index payload{nritems} pad      (each cluster starts at a multiple of 1024)
 * index   := magic u64 | bytenr u64 (file offset of this index) | nritems u32 | compress u8
 *            | nritems × (item bytenr u64 (logical) | item size u32 (stored size)) | unused up to 1024
 * payload := raw content (compress 0) | one zlib stream of the content (compress 1)
 *            | one zstd frame of the content, declaring its size (compress 2, magic _SBzst_0)
 * pad     := zero bytes up to the next multiple of 1024
 * </pre>
 *
 * Unused index bytes 21+12·n .. 1016 keep entries of earlier clusters in the reference writer (it
 * reuses one buffer); bytes 1017..1023 are always zero.
 *
 * <p>The stream flavour (magic {@code _SBzst_1}, compress 3) compresses runs of clusters as one zstd
 * frame, so that what repeats across items (every name is stored three times, in different leaves; keys
 * and headers from leaf to leaf) is found:
 *
 * <pre>
 * image   := frame+
 * frame   := scluster+                        (consecutive clusters; the first has START, the last END)
 * scluster:= sindex payload pad
 * sindex  := magic u64 | bytenr u64 | nritems u32 | compress u8 (3)
 *            | nritems × (item bytenr u64 | item size u32 (CONTENT size, before compression))
 *            | unused up to 1017 (as above) | marks u8 at 1017 (bit 0 START, bit 1 END, others 0)
 *            | zero u16 at 1018 | payload size u32 at 1020 (bytes of payload that follow)
 * payload := the next bytes of the frame's zstd stream: the frame's compressed item contents, in order,
 *            flushed at the end of every cluster, so that the payloads of a frame up to this cluster's
 *            decode to exactly this cluster's items after those before (the frame's own end, with its
 *            content checksum, closes the END cluster's payload)
 * </pre>
 *
 * Frames use windows of at most 2^{@link ZstdStream#MAX_WINDOW_LOG} bytes. Where frames end is part of the
 * dump's plan (runs of whole clusters of a fixed content size), never of how the dump was partitioned, so
 * the bytes do not depend on it. A reader needs the frame's earlier payloads to decode a cluster: restore
 * decodes whole frames, each on one worker; an image must end at the end of a frame.
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
    /** The stream flavour: clusters' payloads are the slices of zstd frames spanning clusters (compress flag 3). */
    public static final long MAGIC_ZSTD_STREAM = 0x315f7473_7a42535fL; // "_SBzst_1"
    /**
     * A delta (incremental) image: the stream layout (compress flag 3) under its own magic, which the reference
     * rejects; its first items are records (see the grammar above), then the blocks it carries.
     */
    public static final long MAGIC_DELTA = 0x315f746c_6442535fL; // "_SBdlt_1"
    /** In a delta image, an item whose bytenr is below this is a record (its ordinal), not filesystem content. */
    public static final long RECORD_LIMIT = 4096;
    public static final long MAX_PENDING_V0 = 256 * 1024;
    public static final long MAX_PENDING_V1 = 256L * 1024 * 1024;

    public static final int COMPRESS_NONE = 0;
    public static final int COMPRESS_ZLIB = 1;
    public static final int COMPRESS_ZSTD = 2;
    public static final int COMPRESS_ZSTD_STREAM = 3;

    /** Stream flavour: the frame marks byte and the payload size in the index, past every entry slot. */
    public static final int MARKS_OFFSET = ENTRIES_END;
    public static final int PAYLOAD_SIZE_OFFSET = 1020;
    public static final int MARK_START = 1;
    public static final int MARK_END = 2;

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
