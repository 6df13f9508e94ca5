package io.sparkbtrfs.image;

import java.io.IOException;
import java.io.OutputStream;

import io.sparkbtrfs.format.LittleEndian;

/**
 * Writes clusters to a stream. One index buffer lives for the whole writer so that unused entry slots
 * keep the previous clusters' entries, as the reference's do (byte identity, spec §2.10).
 */
public final class ClusterWriter {
    private final OutputStream out;
    private final long magic;
    private final int compress;
    private final byte[] index = new byte[MetadumpFormat.INDEX_SIZE];
    private final byte[] zeros = new byte[MetadumpFormat.INDEX_SIZE];
    private long offset;

    /** @param startOffset file offset of the first byte this writer produces (stored in cluster headers) */
    public ClusterWriter(OutputStream out, long magic, int compress, long startOffset) {
        this.out = out;
        this.magic = magic;
        this.compress = compress;
        this.offset = startOffset;
    }

    /** Writes one cluster of {@code n} items (payloads as stored) and returns the offset it started at. */
    public long write(long[] bytenrs, byte[][] payloads, int n) throws IOException {
        if (n < 0 || n > MetadumpFormat.MAX_ITEMS) {
            throw new IllegalArgumentException("cluster of " + n + " items");
        }
        long start = offset;
        LittleEndian.put64(index, 0, magic);
        LittleEndian.put64(index, 8, start);
        LittleEndian.put32(index, 16, n);
        index[20] = (byte) compress;
        long size = 0;
        for (int i = 0; i < n; i++) {
            int e = MetadumpFormat.HEADER_SIZE + MetadumpFormat.ENTRY_SIZE * i;
            LittleEndian.put64(index, e, bytenrs[i]);
            LittleEndian.put32(index, e + 8, payloads[i].length);
            size += payloads[i].length;
        }
        out.write(index);
        for (int i = 0; i < n; i++) {
            out.write(payloads[i]);
        }
        long end = start + MetadumpFormat.INDEX_SIZE + size;
        long padded = MetadumpFormat.alignUp(end);
        out.write(zeros, 0, (int) (padded - end));
        offset = padded;
        return start;
    }

    /** The file offset of the next cluster. */
    public long offset() {
        return offset;
    }

    /** A copy of the index block of the last cluster written (all zero before the first). */
    public byte[] lastIndex() {
        return index.clone();
    }
}
