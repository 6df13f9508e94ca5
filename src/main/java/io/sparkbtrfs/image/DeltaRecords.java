package io.sparkbtrfs.image;

import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;


/**
 * The records of a delta image ({@link MetadumpFormat#MAGIC_DELTA}): items whose bytenr is the record's ordinal
 * (below {@link MetadumpFormat#RECORD_LIMIT}), before the blocks the delta carries. Each record is framed so that
 * a reader can trust its body before the zstd frame around it has ended (and its checksum been checked):
 *
 * <pre>
 * record := type u32 | body length u32 | crc32c(body) u32 | body
 * </pre>
 *
 * Record 0 is the header ({@link DeltaHeader}); records 1.. hold the plan's bytes in order, each at most
 * {@link #MAX_BODY} bytes, so that a record fits one item of the v0 size limit.
 */
public final class DeltaRecords {
    public static final int TYPE_HEADER = 1;
    public static final int TYPE_PLAN = 2;
    public static final int PREFIX = MetadumpFormat.Delta.RECORD_PREFIX;
    private static final int TYPE_OFFSET = MetadumpFormat.Delta.RECORD_TYPE_OFFSET;
    private static final int LENGTH_OFFSET = MetadumpFormat.Delta.RECORD_LENGTH_OFFSET;
    private static final int CRC_OFFSET = MetadumpFormat.Delta.RECORD_CRC_OFFSET;
    /** Body bytes of one record: the record (prefix included) is at most the v0 merge limit. */
    public static final int MAX_BODY = (int) MetadumpFormat.MAX_PENDING_V0 - PREFIX;

    private DeltaRecords() {
    }

    /** A record's type and body (a view of the item's content). */
    public record Body(int type, byte[] content, int offset, int length) {
        public byte[] copy() {
            return java.util.Arrays.copyOfRange(content, offset, offset + length);
        }
    }

    /** The record of {@code type} holding {@code body[off .. off+len)}. */
    public static byte[] encode(int type, byte[] body, int off, int len) {
        if (len > MAX_BODY) {
            throw new IllegalArgumentException("record body of " + len + " bytes");
        }
        byte[] r = new byte[PREFIX + len];
        MetadumpFormat.Delta.put32(r, TYPE_OFFSET, type);
        MetadumpFormat.Delta.put32(r, LENGTH_OFFSET, len);
        MetadumpFormat.Delta.put32(r, CRC_OFFSET, crc(body, off, len));
        System.arraycopy(body, off, r, PREFIX, len);
        return r;
    }

    /** Every record: the header, then the plan in pieces of at most {@link #MAX_BODY} bytes. */
    public static List<byte[]> all(DeltaHeader header, byte[] plan) {
        List<byte[]> records = new ArrayList<>();
        byte[] h = header.encode();
        records.add(encode(TYPE_HEADER, h, 0, h.length));
        for (int off = 0; off < plan.length; off += MAX_BODY) {
            records.add(encode(TYPE_PLAN, plan, off, Math.min(MAX_BODY, plan.length - off)));
        }
        return records;
    }

    /** How many plan records hold {@code planBytes}. */
    public static int planRecords(long planBytes) {
        return (int) ((planBytes + MAX_BODY - 1) / MAX_BODY);
    }

    /**
     * Reads the record in {@code content}, which must be of {@code type}; {@code where} names it in messages
     * (image, cluster offset, item).
     */
    public static Body decode(byte[] content, int type, String where) throws ImageFormatException {
        if (content.length < PREFIX) {
            throw new ImageFormatException(where + ": a record of " + content.length + " bytes (at least " + PREFIX
                    + ")");
        }
        long t = MetadumpFormat.Delta.u32(content, TYPE_OFFSET);
        long len = MetadumpFormat.Delta.u32(content, LENGTH_OFFSET);
        if (t != type) {
            throw new ImageFormatException(where + ": record of type " + t + " where type " + type + " belongs");
        }
        if (len != content.length - PREFIX) {
            throw new ImageFormatException(where + ": record declares " + len + " bytes of body, holds "
                    + (content.length - PREFIX));
        }
        if (crc(content, PREFIX, (int) len) != (int) MetadumpFormat.Delta.u32(content, CRC_OFFSET)) {
            throw new ImageFormatException(where + ": record checksum mismatch (damaged delta)");
        }
        return new Body((int) t, content, PREFIX, (int) len);
    }

    public static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
