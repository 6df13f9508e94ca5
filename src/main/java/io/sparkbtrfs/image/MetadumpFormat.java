package io.sparkbtrfs.image;

import io.sparkbtrfs.format.LittleEndian;

/**
 * The metadump image format of btrfs-image, and our own zstd flavours, as a grammar:
 *
 * <pre>
 * image   := cluster+                        (EOF after the last cluster; no terminator)
 * cluster := index payload{nritems} pad      (each cluster starts at a multiple of 1024)
 * index   := magic 0 (u64) | bytenr 8 (u64: file offset of this index) | nritems 16 (u32) | compress 20 (u8)
 *            | nritems × entry at 21 + 12·i | unused up to 1024
 * entry   := item bytenr 0 (u64: logical) | item size 8 (u32: stored size)
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
 *
 * <p>The version a magic names, and the item sizes each version allows, are {@link ImageVersion}'s. The static
 * accessors read and write the fields of an index block held in a 1024-byte array; they do not validate.
 */
public final class MetadumpFormat {
    public static final int INDEX_SIZE = 1024;
    public static final int MAGIC_OFFSET = 0;
    public static final int BYTENR_OFFSET = MAGIC_OFFSET + Long.BYTES;
    public static final int NRITEMS_OFFSET = BYTENR_OFFSET + Long.BYTES;
    public static final int COMPRESS_OFFSET = NRITEMS_OFFSET + Integer.BYTES;
    public static final int HEADER_SIZE = COMPRESS_OFFSET + Byte.BYTES;
    /** An index entry, at {@link #HEADER_SIZE} + {@link #ENTRY_SIZE}·i: the item's logical address and stored size. */
    public static final int ENTRY_BYTENR_OFFSET = 0;
    public static final int ENTRY_SIZE_OFFSET = ENTRY_BYTENR_OFFSET + Long.BYTES;
    public static final int ENTRY_SIZE = ENTRY_SIZE_OFFSET + Integer.BYTES;
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
    /** Stream flavour: a u16 after the marks, always zero. */
    public static final int MARKS_ZERO_OFFSET = MARKS_OFFSET + Byte.BYTES;
    public static final int PAYLOAD_SIZE_OFFSET = MARKS_ZERO_OFFSET + Short.BYTES;
    public static final int MARK_START = 1;
    public static final int MARK_END = 2;

    private MetadumpFormat() {
    }

    // ----------------------------------------------------------------- index block fields

    public static long magic(byte[] index) {
        return LittleEndian.u64(index, MAGIC_OFFSET);
    }

    /** The file offset the index block says it is at. */
    public static long bytenr(byte[] index) {
        return LittleEndian.u64(index, BYTENR_OFFSET);
    }

    public static void setBytenr(byte[] index, long bytenr) {
        LittleEndian.put64(index, BYTENR_OFFSET, bytenr);
    }

    /** The item count as stored (unsigned, unvalidated). */
    public static long nritems(byte[] index) {
        return LittleEndian.u32(index, NRITEMS_OFFSET);
    }

    public static int compress(byte[] index) {
        return index[COMPRESS_OFFSET] & 0xFF;
    }

    /** Writes the header of an index block: magic, its own file offset, item count and compress flag. */
    public static void setHeader(byte[] index, long magic, long bytenr, int nritems, int compress) {
        LittleEndian.put64(index, MAGIC_OFFSET, magic);
        setBytenr(index, bytenr);
        LittleEndian.put32(index, NRITEMS_OFFSET, nritems);
        index[COMPRESS_OFFSET] = (byte) compress;
    }

    /** Array index of entry {@code i}. */
    public static int entry(int i) {
        return HEADER_SIZE + ENTRY_SIZE * i;
    }

    public static long entryBytenr(byte[] index, int i) {
        return LittleEndian.u64(index, entry(i) + ENTRY_BYTENR_OFFSET);
    }

    /** Entry {@code i}'s size as stored (unsigned, unvalidated). */
    public static long entrySize(byte[] index, int i) {
        return LittleEndian.u32(index, entry(i) + ENTRY_SIZE_OFFSET);
    }

    public static void setEntry(byte[] index, int i, long bytenr, long size) {
        LittleEndian.put64(index, entry(i) + ENTRY_BYTENR_OFFSET, bytenr);
        LittleEndian.put32(index, entry(i) + ENTRY_SIZE_OFFSET, size);
    }

    /** Stream flavour: the frame marks. */
    public static int marks(byte[] index) {
        return index[MARKS_OFFSET] & 0xFF;
    }

    /** Stream flavour: the u16 after the marks, which must be zero. */
    public static int marksZero(byte[] index) {
        return LittleEndian.u16(index, MARKS_ZERO_OFFSET);
    }

    /** Stream flavour: the payload bytes that follow the index block (unsigned, unvalidated). */
    public static long payloadSize(byte[] index) {
        return LittleEndian.u32(index, PAYLOAD_SIZE_OFFSET);
    }

    /** Stream flavour: sets the frame marks and the payload size. */
    public static void setStreamFields(byte[] index, int marks, long payloadSize) {
        index[MARKS_OFFSET] = (byte) marks;
        LittleEndian.put32(index, PAYLOAD_SIZE_OFFSET, payloadSize);
    }

    public static long alignUp(long offset) {
        return (offset + INDEX_SIZE - 1) & -INDEX_SIZE;
    }

    /**
     * Field layout of a delta image's records (grammar in the README, "Incremental images"; {@link DeltaRecords},
     * {@link DeltaHeader}, and the stored plan's items): chained offsets, declared and read only here.
     */
    public static final class Delta {
        public static final int RECORD_TYPE_OFFSET = 0;
        public static final int RECORD_LENGTH_OFFSET = RECORD_TYPE_OFFSET + 4;
        public static final int RECORD_CRC_OFFSET = RECORD_LENGTH_OFFSET + 4;
        /** Bytes before a record's body. */
        public static final int RECORD_PREFIX = RECORD_CRC_OFFSET + 4;

        public static final int VERSION_OFFSET = 0;
        public static final int NODESIZE_OFFSET = VERSION_OFFSET + 4;
        public static final int FSID_OFFSET = NODESIZE_OFFSET + 4;
        public static final int FSID_SIZE = 16;
        public static final int GENERATION_OFFSET = FSID_OFFSET + FSID_SIZE;
        public static final int BASE_GENERATION_OFFSET = GENERATION_OFFSET + 8;
        public static final int BASE_CRC_OFFSET = BASE_GENERATION_OFFSET + 8;
        public static final int FLAGS_OFFSET = BASE_CRC_OFFSET + 4;
        public static final int COMPRESS_OFFSET = FLAGS_OFFSET + 4;
        public static final int SANITIZE_OFFSET = COMPRESS_OFFSET + 1;
        public static final int ZSTD_OFFSET = SANITIZE_OFFSET + 1;
        public static final int RESERVED_OFFSET = ZSTD_OFFSET + 1;
        public static final int FRAME_BYTES_OFFSET = RESERVED_OFFSET + 1;
        public static final int SEED_OFFSET = FRAME_BYTES_OFFSET + 8;
        public static final int PLAN_ITEMS_OFFSET = SEED_OFFSET + 8;
        public static final int PLAN_UNITS_OFFSET = PLAN_ITEMS_OFFSET + 4;
        public static final int CARRIED_UNITS_OFFSET = PLAN_UNITS_OFFSET + 8;
        public static final int CARRIED_ITEMS_OFFSET = CARRIED_UNITS_OFFSET + 8;
        public static final int PLAN_RECORDS_OFFSET = CARRIED_ITEMS_OFFSET + 4;
        public static final int PLAN_BYTES_OFFSET = PLAN_RECORDS_OFFSET + 4;
        public static final int PLAN_CRC_OFFSET = PLAN_BYTES_OFFSET + 8;
        /** Bytes of a version 1 header record's body (no listed items). */
        public static final int HEADER_SIZE_V1 = PLAN_CRC_OFFSET + 4;
        public static final int LISTED_ITEMS_OFFSET = HEADER_SIZE_V1;
        /** Bytes of the header record's body. */
        public static final int HEADER_SIZE = LISTED_ITEMS_OFFSET + 4;

        public static final int ITEM_START_OFFSET = 0;
        public static final int ITEM_LENGTH_OFFSET = ITEM_START_OFFSET + 8;
        public static final int ITEM_KIND_OFFSET = ITEM_LENGTH_OFFSET + 4;
        /** Bytes of one item of the stored plan. */
        public static final int ITEM_SIZE = ITEM_KIND_OFFSET + 1;

        private Delta() {
        }

        /** The unsigned 32-bit field at {@code field} (one of the offsets above, plus a record's or item's start). */
        public static long u32(byte[] b, int field) {
            return LittleEndian.u32(b, field);
        }

        public static long u64(byte[] b, int field) {
            return LittleEndian.u64(b, field);
        }

        public static int u8(byte[] b, int field) {
            return LittleEndian.u8(b, field);
        }

        public static void put32(byte[] b, int field, long v) {
            LittleEndian.put32(b, field, v);
        }

        public static void put64(byte[] b, int field, long v) {
            LittleEndian.put64(b, field, v);
        }
    }
}
