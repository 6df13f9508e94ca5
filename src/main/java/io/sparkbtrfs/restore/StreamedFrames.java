package io.sparkbtrfs.restore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.DataFormatException;

import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.StreamDecoder;

/**
 * Restores the clusters of a stream image ({@code _SBzst_1}): a cluster's items decode only after the
 * earlier payloads of its frame, so the clusters of a frame are gathered and the whole frame goes to one
 * worker, frames decoding in parallel. Memory stays bounded: a frame whose payloads pass
 * {@link #FRAME_JOB_BYTES} (which the writer never makes: its frames are a few MiB) is decoded here, on the
 * reading thread, as it arrives. Items are written piece by piece; the superblock item is decoded and
 * left for the end, as in every restore.
 */
final class StreamedFrames implements AutoCloseable {
    static final long FRAME_JOB_BYTES = 32L << 20;

    /** Runs a job on the restore's workers (bounded in flight); {@code where} names it in failures. */
    @FunctionalInterface
    interface Jobs {
        void submit(String where, Job job);
    }

    @FunctionalInterface
    interface Job {
        void run() throws RestoreException;
    }

    private final String name;
    private final ImageHeader header;
    private final Restorer.Sink sink;
    private final AtomicLong items;
    private final AtomicLong bytes;
    private final Jobs jobs;
    private final long frameJobBytes;
    private List<ImageReader.Cluster> frame = new ArrayList<>();
    private long frameBytes;
    /** Decodes the rest of an oversize frame on this thread, or null. */
    private StreamDecoder inline;

    StreamedFrames(String name, ImageHeader header, Restorer.Sink sink, AtomicLong items, AtomicLong bytes, Jobs jobs) {
        this(name, header, sink, items, bytes, jobs, FRAME_JOB_BYTES);
    }

    /** As above, frames decoded on this thread once their payloads pass {@code frameJobBytes}. */
    StreamedFrames(String name, ImageHeader header, Restorer.Sink sink, AtomicLong items, AtomicLong bytes, Jobs jobs,
            long frameJobBytes) {
        this.frameJobBytes = frameJobBytes;
        this.name = name;
        this.header = header;
        this.sink = sink;
        this.items = items;
        this.bytes = bytes;
        this.jobs = jobs;
    }

    /** The next cluster of the image (the reader has checked its frame marks). */
    void add(ImageReader.Cluster c) throws RestoreException {
        boolean end = (c.marks() & io.sparkbtrfs.image.MetadumpFormat.MARK_END) != 0;
        if (inline != null) {
            decode(inline, c, Restorer.piece());
            if (end) {
                inline.close();
                inline = null;
            }
            return;
        }
        frame.add(c);
        frameBytes += c.payload().length;
        if (end) {
            List<ImageReader.Cluster> clusters = frame;
            frame = new ArrayList<>();
            frameBytes = 0;
            jobs.submit("zstd frame at offset " + clusters.get(0).offset(), () -> {
                try (StreamDecoder decoder = new StreamDecoder()) {
                    byte[] piece = Restorer.piece();
                    for (ImageReader.Cluster cluster : clusters) {
                        decode(decoder, cluster, piece);
                    }
                }
            });
        } else if (frameBytes > frameJobBytes) {
            inline = new StreamDecoder();
            for (ImageReader.Cluster cluster : frame) {
                decode(inline, cluster, Restorer.piece());
            }
            frame = new ArrayList<>();
            frameBytes = 0;
        }
    }

    private void decode(StreamDecoder decoder, ImageReader.Cluster c, byte[] piece) throws RestoreException {
        decoder.begin(c);
        int i = 0;
        try {
            for (; i < c.size(); i++) {
                long bytenr = c.bytenrs()[i];
                if (bytenr == Superblock.PRIMARY_OFFSET) {
                    decoder.skip(piece); // written last, patched
                    items.incrementAndGet();
                    continue;
                }
                long n = decoder.item(Restorer.itemLimit(header, bytenr), piece,
                        (off, buf, len) -> sink.write(bytenr + off, buf, len));
                items.incrementAndGet();
                bytes.addAndGet(n);
            }
            decoder.end(piece);
        } catch (DataFormatException e) {
            throw new RestoreException(name + ": " + (i < c.size() ? "item " + i + " of " : "") + "cluster at offset "
                    + c.offset() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (inline != null) {
            inline.close();
        }
    }
}
