package io.sparkbtrfs.image;

import java.io.IOException;
import java.io.OutputStream;


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
    /** Payload bytes still due in the cluster begun, or -1 between clusters. */
    private long pending = -1;

    /** @param startOffset file offset of the first byte this writer produces (stored in cluster headers) */
    public ClusterWriter(OutputStream out, long magic, int compress, long startOffset) {
        this(out, magic, compress, startOffset, null);
    }

    /**
     * @param previousIndex the index block a single writer would have written just before this one's first
     *     cluster (its entry slots become this writer's stale entries), or null for none
     */
    public ClusterWriter(OutputStream out, long magic, int compress, long startOffset, byte[] previousIndex) {
        this.out = out;
        this.magic = magic;
        this.compress = compress;
        this.offset = startOffset;
        if (previousIndex != null) {
            System.arraycopy(previousIndex, 0, index, 0, MetadumpFormat.INDEX_SIZE);
        }
    }

    /** Writes one cluster of {@code n} items (payloads as stored) and returns the offset it started at. */
    public long write(long[] bytenrs, byte[][] payloads, int n) throws IOException {
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = payloads[i].length;
        }
        return write(bytenrs, payloads, sizes, n);
    }

    /** Writes one cluster of {@code n} items, item i's payload being {@code payloads[i][0 .. sizes[i])}. */
    public long write(long[] bytenrs, byte[][] payloads, int[] sizes, int n) throws IOException {
        long start = begin(bytenrs, sizes, n);
        for (int i = 0; i < n; i++) {
            payload(payloads[i], 0, sizes[i]);
        }
        end();
        return start;
    }

    /**
     * Writes one cluster of a stream image ({@link MetadumpFormat#MAGIC_ZSTD_STREAM}): {@code n} items of
     * content sizes {@code sizes}, their compressed stream {@code payload[0 .. payloadLength)}, frame marks
     * {@code marks}. Returns the offset the cluster started at.
     */
    public long writeStreamed(long[] bytenrs, int[] sizes, int n, byte[] payload, int payloadLength, int marks)
            throws IOException {
        if (compress != MetadumpFormat.COMPRESS_ZSTD_STREAM) {
            throw new IllegalStateException("not a stream image");
        }
        MetadumpFormat.setStreamFields(index, marks, payloadLength);
        long start = begin(bytenrs, sizes, n, payloadLength);
        payload(payload, 0, payloadLength);
        end();
        return start;
    }

    /**
     * Starts a cluster of {@code n} items whose payload sizes are known before the payloads (uncompressed
     * images): writes the index block; then {@link #payload} each item in order and {@link #end}. Returns
     * the offset the cluster starts at.
     */
    public long begin(long[] bytenrs, int[] sizes, int n) throws IOException {
        long size = 0;
        for (int i = 0; i < n; i++) {
            size += sizes[i];
        }
        return begin(bytenrs, sizes, n, size);
    }

    private long begin(long[] bytenrs, int[] sizes, int n, long payloadBytes) throws IOException {
        if (n < 0 || n > MetadumpFormat.MAX_ITEMS) {
            throw new IllegalArgumentException("cluster of " + n + " items");
        }
        if (pending >= 0) {
            throw new IllegalStateException("cluster at " + offset + " not ended");
        }
        long start = offset;
        MetadumpFormat.setHeader(index, magic, start, n, compress);
        for (int i = 0; i < n; i++) {
            MetadumpFormat.setEntry(index, i, bytenrs[i], sizes[i]);
        }
        out.write(index);
        offset += MetadumpFormat.INDEX_SIZE;
        pending = payloadBytes;
        return start;
    }

    /** Writes the next payload of the cluster begun. */
    public void payload(byte[] b, int off, int len) throws IOException {
        if (len > pending) {
            throw new IllegalStateException("payloads exceed the sizes in the index");
        }
        out.write(b, off, len);
        offset += len;
        pending -= len;
    }

    /** Pads the cluster begun to the next block boundary. */
    public void end() throws IOException {
        if (pending != 0) {
            throw new IllegalStateException(pending + " payload bytes missing");
        }
        long padded = MetadumpFormat.alignUp(offset);
        out.write(zeros, 0, (int) (padded - offset));
        offset = padded;
        pending = -1;
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
