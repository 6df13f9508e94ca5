package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.image.ClusterWriter;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.image.ZlibCodec;

/**
 * Produces the bytes of clusters [from, to) of a plan: takes each item's content from its {@link ItemSource}
 * (the source filesystem, read and scrubbed; or the images of a chain), compresses, and writes clusters with
 * offsets relative to the start of the part. Not thread-safe; one per task.
 */
public final class PartWriter implements AutoCloseable {
    /** zstd window: 8 MiB, as level 19 uses anyway; a frame spans about {@link StreamFrames#FRAME_BYTES}. */
    private static final int WINDOW_LOG = 23;

    private final ItemSource source;
    private final ItemPlan plan;
    private final DumpSettings settings;
    private final int nodesize;
    private final Deflater deflater;
    private final io.sparkbtrfs.image.ZstdStream.Encoder zstd;
    /** The zlib streams of the cluster being written: item k's in {@code deflated[k][0 .. deflatedSizes[k])}. */
    private final byte[][] deflated = new byte[MetadumpFormat.MAX_ITEMS][];
    private final int[] deflatedSizes = new int[MetadumpFormat.MAX_ITEMS];
    /** Where a cluster's items are deflated side by side (in-process runs), or null: one after the other. */
    private java.util.concurrent.ExecutorService itemPool;
    /**
     * Where the copies of items being deflated side by side come from and go back to, as each is deflated:
     * shared by the run's parts, at most {@link #IN_FLIGHT_PER_THREAD} per deflating thread and part at a
     * time. Copies of whole clusters (19 MiB at -c 1 on 57 MiB) cost as much CPU as zlib itself: fresh pages
     * to fault in and zero, or the collector moving live items between generations (async-profiler).
     */
    private BufferPool buffers;
    private java.util.concurrent.Semaphore inFlight;
    private static final int IN_FLIGHT_PER_THREAD = 2;
    /** One deflater per thread of {@link #itemPool}. */
    private static final ThreadLocal<Deflater> POOLED_DEFLATER = ThreadLocal.withInitial(Deflater::new);
    /** One reused output buffer per thread of {@link #itemPool}. */
    private static final ThreadLocal<byte[][]> POOLED_OUTPUT = ThreadLocal.withInitial(() -> new byte[1][]);

    /** Writes the items of {@code plan} as read from {@code volume} (scrubbed, sanitized: {@link VolumeItems}). */
    public PartWriter(Volume volume, ItemPlan plan, DumpSettings settings) {
        this(new VolumeItems(volume, plan, settings), plan, settings, volume.superblock().nodesize());
    }

    /** Writes the items of {@code plan} whose contents {@code source} gives (and closes it). */
    public PartWriter(ItemSource source, ItemPlan plan, DumpSettings settings, int nodesize) {
        this.source = source;
        this.plan = plan;
        this.settings = settings;
        this.nodesize = nodesize;
        this.deflater = settings.codec() instanceof Codec.Zlib z ? new Deflater(z.level()) : null;
        this.zstd = settings.codec() instanceof Codec.Zstd z ? new io.sparkbtrfs.image.ZstdStream.Encoder(z.level(), WINDOW_LOG)
                : null;
    }

    /**
     * Deflates each cluster's items on {@code pool} side by side, this writer still reading them in order: a
     * plan of fewer clusters than threads (a small filesystem under {@code -c N}: three clusters of 19 MiB)
     * keeps every thread busy, as the reference does by compressing per item. Same bytes: each item is its
     * own zlib stream at the same level. The pool must not be the one that runs this writer's part.
     */
    PartWriter deflatingOn(java.util.concurrent.ExecutorService pool, int threads, BufferPool buffers) {
        this.itemPool = pool;
        this.buffers = buffers;
        this.inFlight = new java.util.concurrent.Semaphore(IN_FLIGHT_PER_THREAD * threads);
        return this;
    }

    /** Called after each cluster with the number of tree blocks and content bytes it held. */
    @FunctionalInterface
    public interface Progress {
        void cluster(long blocks, long bytes);
    }

    public PartResult write(int part, int fromCluster, int toCluster, OutputStream out, Progress progress)
            throws IOException {
        return write(part, fromCluster, toCluster, out, progress, 0, null);
    }

    /**
     * Writes the clusters as they sit at {@code startOffset} in the image, the unused entry slots of the
     * first taken from {@code previousIndex} (see {@link RawLayout}); cluster offsets in the result are
     * relative to {@code startOffset}.
     */
    public PartResult write(int part, int fromCluster, int toCluster, OutputStream out, Progress progress,
            long startOffset, byte[] previousIndex) throws IOException {
        Codec codec = settings.codec();
        ClusterWriter writer = new ClusterWriter(out, codec.magic(), codec.compressFlag(), startOffset, previousIndex);
        boolean raw = codec.raw();
        long[] offsets = new long[toCluster - fromCluster];
        long[] bytenrs = new long[MetadumpFormat.MAX_ITEMS];
        int[] sizes = new int[MetadumpFormat.MAX_ITEMS];
        long blocks = 0;
        long bytesIn = 0;
        io.sparkbtrfs.device.ReadCounts readsBefore = source.readCounts();
        source.beginPart(toCluster > fromCluster ? plan.endItem(toCluster - 1) : plan.firstItem(fromCluster));
        int frameStart = fromCluster;
        int frameEnd = fromCluster; // a part is a run of whole frames (stream images)
        for (int c = fromCluster; c < toCluster; c++) {
            int first = plan.firstItem(c);
            int end = plan.endItem(c);
            long clusterBlocks = 0;
            long clusterBytes = 0;
            for (int i = first; i < end; i++) {
                bytenrs[i - first] = plan.start(i);
                sizes[i - first] = plan.length(i);
                if (plan.kind(i) == ItemPlan.METADATA) {
                    clusterBlocks += plan.length(i) / nodesize;
                }
                clusterBytes += plan.length(i);
            }
            if (raw) {
                // Payload sizes are the planned lengths: stream each item through one reused buffer.
                offsets[c - fromCluster] = writer.begin(bytenrs, sizes, end - first) - startOffset;
                for (int i = first; i < end; i++) {
                    writer.payload(contentInto(i), 0, plan.length(i));
                }
                writer.end();
            } else if (zstd != null) {
                if (c == frameEnd) {
                    frameStart = c;
                    frameEnd = StreamFrames.frameEnd(plan, c, ((Codec.Zstd) codec).frameBytes());
                    if (frameEnd > toCluster) {
                        throw new IllegalArgumentException("clusters [" + fromCluster + ", " + toCluster
                                + ") end inside the frame of clusters [" + c + ", " + frameEnd + ")");
                    }
                }
                zstd.clear();
                for (int i = first; i < end; i++) {
                    zstd.add(contentInto(i), 0, plan.length(i));
                }
                boolean endsFrame = c + 1 == frameEnd;
                zstd.flush(endsFrame);
                int marks = (c == frameStart ? MetadumpFormat.MARK_START : 0) | (endsFrame ? MetadumpFormat.MARK_END : 0);
                offsets[c - fromCluster] = writer.writeStreamed(bytenrs, sizes, end - first, zstd.buffer(), zstd.length(),
                        marks) - startOffset;
            } else if (source.deliversDeflated()) {
                for (int i = first; i < end; i++) {
                    byte[] stream = contentInto(i);
                    deflated[i - first] = stream;
                    deflatedSizes[i - first] = stream.length;
                }
                offsets[c - fromCluster] = writer.write(bytenrs, deflated, deflatedSizes, end - first) - startOffset;
                java.util.Arrays.fill(deflated, 0, end - first, null);
            } else if (itemPool != null && end - first > 1) {
                deflateSideBySide(first, end, ((Codec.Zlib) codec).level());
                offsets[c - fromCluster] = writer.write(bytenrs, deflated, deflatedSizes, end - first) - startOffset;
                java.util.Arrays.fill(deflated, 0, end - first, null);
            } else {
                for (int i = first; i < end; i++) {
                    int length = plan.length(i);
                    byte[] stream = deflated[i - first] = atLeast(deflated[i - first], ZlibCodec.bound(length));
                    deflatedSizes[i - first] = ZlibCodec.compressInto(contentInto(i), length,
                            ((Codec.Zlib) codec).level(), deflater, stream);
                }
                offsets[c - fromCluster] = writer.write(bytenrs, deflated, deflatedSizes, end - first) - startOffset;
            }
            blocks += clusterBlocks;
            bytesIn += clusterBytes;
            if (progress != null) {
                progress.cluster(clusterBlocks, clusterBytes);
            }
        }
        return new PartResult(part, writer.offset() - startOffset, offsets, writer.lastIndex(), blocks, bytesIn,
                source.taskStats(), java.util.List.copyOf(source.problems()), source.readCounts().minus(readsBefore));
    }

    /**
     * Fills {@code deflated} and {@code deflatedSizes} for items [first, end): each item copied into a pooled
     * buffer and deflated on the pool through that thread's scratch, its stream kept in an array of its size.
     */
    private void deflateSideBySide(int first, int end, int level) throws IOException {
        java.util.List<java.util.concurrent.Future<?>> pending = new java.util.ArrayList<>(end - first);
        try {
            for (int i = first; i < end; i++) {
                int k = i - first;
                int length = plan.length(i);
                byte[] item = contentInto(i);
                inFlight.acquire();
                byte[] content;
                try {
                    content = buffers.take(length);
                    System.arraycopy(item, 0, content, 0, length);
                    pending.add(itemPool.submit(() -> {
                        try {
                            byte[][] scratch = POOLED_OUTPUT.get();
                            scratch[0] = atLeast(scratch[0], ZlibCodec.bound(length));
                            int n = ZlibCodec.compressInto(content, length, level, POOLED_DEFLATER.get(), scratch[0]);
                            deflated[k] = java.util.Arrays.copyOf(scratch[0], n);
                            deflatedSizes[k] = n;
                        } finally {
                            buffers.give(content);
                            inFlight.release();
                        }
                    }));
                } catch (RuntimeException | Error e) {
                    inFlight.release();
                    throw e;
                }
            }
            for (java.util.concurrent.Future<?> f : pending) {
                f.get(); // also publishes deflated[k] and deflatedSizes[k] to this thread
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while deflating items");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        } finally {
            pending.forEach(f -> f.cancel(true));
        }
    }

    /** Item {@code i}'s content as the image stores it before compression. */
    byte[] content(int i) throws IOException {
        return java.util.Arrays.copyOf(contentInto(i), plan.length(i));
    }

    private byte[] contentInto(int i) throws IOException {
        return source.contentInto(i);
    }

    /** {@code b} if it holds {@code n} bytes, else (also if null) a new array of at least {@code n} (doubling: reused buffers). */
    static byte[] atLeast(byte[] b, int n) {
        if (b == null) {
            return new byte[n];
        }
        return b.length >= n ? b : new byte[Math.max(n, b.length * 2)];
    }

    @Override
    public void close() {
        source.close();
        if (deflater != null) {
            deflater.end();
        }
        if (zstd != null) {
            zstd.close();
        }
    }
}
