package io.sparkbtrfs.image;

import java.util.zip.DataFormatException;

/**
 * Decodes the items of consecutive clusters of a stream image ({@link MetadumpFormat#MAGIC_ZSTD_STREAM}),
 * in image order: {@link #begin} a cluster (its payload joins the frame's stream), take its items in order,
 * {@link #end} it (which checks that its payload held exactly its items and, for an END cluster, the end of
 * the frame). Item sizes are checked against the caller's limit before anything is decoded for them, and
 * output is produced piece by piece, so that a lying size costs no memory. Not thread-safe.
 */
public final class StreamDecoder implements AutoCloseable {
    private final ZstdStream.Decoder zstd = new ZstdStream.Decoder();
    private final byte[] probe = new byte[1];
    private ImageReader.Cluster cluster;
    private int item;

    /** Receives one piece of an item's content. */
    @FunctionalInterface
    public interface PieceSink<E extends Exception> {
        void piece(long offsetInItem, byte[] buf, int len) throws E;
    }

    /** Feeds cluster {@code c}'s payload; the cluster before it must have been {@link #end}ed. */
    public void begin(ImageReader.Cluster c) {
        if (cluster != null) {
            throw new IllegalStateException("cluster at " + cluster.offset() + " not ended");
        }
        cluster = c;
        item = 0;
        zstd.feed(c.payload(), 0, c.payload().length);
    }

    /** The index of the next item of the cluster begun. */
    public int nextItem() {
        return item;
    }

    /** Decodes the next item whole (at most {@code limit} bytes). */
    public byte[] item(int limit) throws DataFormatException {
        byte[] out = new byte[checkedSize(limit)];
        readFully(out, 0, out.length);
        item++;
        return out;
    }

    /** Decodes the next item into {@code piece}-sized pieces handed to {@code sink}; returns its size. */
    public <E extends Exception> long item(int limit, byte[] piece, PieceSink<E> sink) throws DataFormatException, E {
        int size = checkedSize(limit);
        long done = 0;
        while (done < size) {
            int n = (int) Math.min(piece.length, size - done);
            readFully(piece, 0, n);
            sink.piece(done, piece, n);
            done += n;
        }
        item++;
        return size;
    }

    /** Decodes and drops the next item. */
    public void skip(byte[] scratch) throws DataFormatException {
        item(Integer.MAX_VALUE, scratch, (off, buf, len) -> { });
    }

    /** Ends the cluster begun: every item taken, and its payload neither short nor long. */
    public void end(byte[] scratch) throws DataFormatException {
        while (item < cluster.size()) {
            skip(scratch);
        }
        if (zstd.read(probe, 0, 1) != 0 || zstd.remaining() != 0) {
            throw new DataFormatException("the payload holds more than the cluster's items");
        }
        boolean end = (cluster.marks() & MetadumpFormat.MARK_END) != 0;
        if (end != zstd.frameEnded()) {
            throw new DataFormatException(end ? "the frame does not end where the cluster says it does"
                    : "the frame ends in a cluster that does not end it");
        }
        cluster = null;
    }

    private int checkedSize(int limit) throws DataFormatException {
        if (cluster == null || item >= cluster.size()) {
            throw new IllegalStateException("no item left in the cluster begun");
        }
        int size = cluster.sizes()[item];
        if (size > limit) {
            throw new DataFormatException("item declares " + size + " bytes of content (at most " + limit + ")");
        }
        return size;
    }

    private void readFully(byte[] b, int off, int len) throws DataFormatException {
        int n = zstd.read(b, off, len);
        if (n < len) {
            throw new DataFormatException("the payload ends inside item " + item + " (" + n + " of " + len
                    + " bytes)");
        }
    }

    @Override
    public void close() {
        zstd.close();
    }
}
