package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.store.ImageOutput;
import io.sparkbtrfs.store.OutputFile;

/**
 * Runs a plan's parts on threads of this JVM: the same part writer as the Spark tasks, without Spark's start-up
 * (about a second, most of a small dump) and without Hadoop for local sources and targets. An uncompressed image
 * to a local file is written in place (offsets known from the plan, {@link RawLayout}); otherwise workers write
 * parts into memory and the calling thread appends them to the output in order, patched as the merge patches
 * staged parts ({@link PartPatcher}), with at most {@link #WINDOW_PER_THREAD} parts per thread waiting, so that
 * memory stays bounded whatever the image's size. The bytes equal the Spark runner's.
 */
public final class InProcessRunner implements PartRunner {
    /** Content bytes per part: small enough to bound memory, large enough to amortise a part's set-up. */
    static final long PART_BYTES = 8L << 20;
    static final int WINDOW_PER_THREAD = 2;

    private final int threads;

    public InProcessRunner(int threads) {
        this.threads = Math.max(1, threads);
    }

    @Override
    public String describe() {
        return "in-process, " + threads + (threads == 1 ? " thread" : " threads");
    }

    @Override
    public DumpSummary write(Volume volume, ItemPlan plan, DumpSettings settings, int wantedParts,
            ImageOutput output, ProgressListener progress) throws IOException {
        io.sparkbtrfs.device.ReadCounts readsBefore = volume.readCounts();
        try (ItemSpill spill = spill(volume, plan, settings, wantedParts)) {
            DumpSummary summary = write(() -> new VolumeItems(volume, plan, settings, spill),
                    volume.superblock().nodesize(), plan, settings, wantedParts, output, progress);
            // The parts share one volume here: its own counts, not the sum of the parts' overlapping deltas.
            return summary.withReads(volume.readCounts().minus(readsBefore));
        }
    }

    /**
     * From a remote source, a plan whose parts would each fetch about the whole metadata area ({@code -w}: what an
     * exchange serves on Spark) is read once, by address, into a local file the parts share; null otherwise (or
     * when the file cannot be made: the parts then read as before). Measured on bench names:100000 ({@code -w}
     * from S3, 11 parts): 900 MB fetched in 141 GETs without, 93 MB with.
     */
    private ItemSpill spill(Volume volume, ItemPlan plan, DumpSettings settings, int wantedParts) {
        if (!volume.prefersBatches() || plan.items() == 0) {
            return null;
        }
        int parts = wantedParts > 0 ? wantedParts : autoParts(plan);
        long gap = volume.mergeGap();
        boolean scattered = AddressOrder.exchangeRuns(plan, PartSpec.split(plan, parts, settings), gap) != null
                || ItemSpill.worthIt(plan, 0, plan.items(), ItemPrefetch.WINDOW_BYTES, gap);
        return scattered ? ItemSpill.of(volume, plan, 0, plan.items(), ItemPrefetch.ORDERED_WINDOW_BYTES,
                ItemSpill.DIR) : null;
    }

    /**
     * Writes the image of {@code plan} whose item contents come from the sources {@code sources} opens (one per
     * part): the same clusters, compression and layout as a dump's, whatever the contents' origin (a compaction
     * takes them from the images of a chain).
     */
    public DumpSummary write(ItemSource.Factory sources, int nodesize, ItemPlan plan, DumpSettings settings,
            int wantedParts, ImageOutput output, ProgressListener progress) throws IOException {
        long started = System.nanoTime();
        int parts = wantedParts > 0 ? wantedParts : autoParts(plan);
        List<PartSpec> specs = PartSpec.split(plan, parts, settings);
        AtomicLong blocks = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        PartWriter.Progress meter = (b, n) -> {
            blocks.addAndGet(b);
            bytes.addAndGet(n);
            if (progress != null) {
                progress.update(blocks.get(), bytes.get());
            }
        };
        OutputFile file = output.file();
        boolean inPlace = file.kind() == OutputFile.Kind.LOCAL && settings.codec().raw();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, specs.size()), r -> {
            Thread t = new Thread(r, "dump-worker");
            t.setDaemon(true);
            return t;
        });
        // zlib: items are deflated on threads of their own, so that few large clusters still use every core.
        ExecutorService deflaters = settings.codec() instanceof Codec.Zlib ? Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "dump-deflater");
            t.setDaemon(true);
            return t;
        }) : null;
        BufferPool buffers = new BufferPool(Math.min(Runtime.getRuntime().maxMemory() / 4, 512L << 20));
        try {
            Writers writers = () -> {
                PartWriter w = new PartWriter(sources.open(), plan, settings, nodesize);
                return deflaters == null ? w : w.deflatingOn(deflaters, threads, buffers);
            };
            List<PartResult> results;
            if (inPlace) {
                results = inPlace(writers, plan, specs, file, meter, pool);
                PartMerge.inPlace(plan).merge(results, output);
            } else {
                results = inOrder(writers, plan, specs, output, meter, pool, buffers);
            }
            return DumpSummary.of(results, plan, specs.size(), (System.nanoTime() - started) / 1_000_000);
        } finally {
            pool.shutdownNow();
            if (deflaters != null) {
                deflaters.shutdownNow();
            }
        }
    }

    /** Uncompressed, to a local file: each part writes its clusters at their final offsets. */
    /** A part writer for one task. */
    @FunctionalInterface
    private interface Writers {
        PartWriter open() throws IOException;
    }

    private static List<PartResult> inPlace(Writers writers, ItemPlan plan, List<PartSpec> specs,
            OutputFile file, PartWriter.Progress meter, ExecutorService pool) throws IOException {
        RawLayout layout = RawLayout.of(plan);
        List<Future<PartResult>> futures = new ArrayList<>();
        for (PartSpec spec : specs) {
            futures.add(pool.submit(() -> {
                long base = layout.clusterOffset(spec.fromCluster());
                try (PartWriter writer = writers.open();
                        FileChannel ch = FileChannel.open(file.localTemporary(), StandardOpenOption.WRITE);
                        OutputStream out = new java.io.BufferedOutputStream(
                                OutputFile.naming(Channels.newOutputStream(ch.position(base)), file.spec()), 1 << 20)) {
                    PartResult r = writer.write(spec.part(), spec.fromCluster(), spec.toCluster(), out, meter, base,
                            RawLayout.indexBefore(plan, spec.fromCluster()));
                    out.flush();
                    return r;
                }
            }));
        }
        List<PartResult> results = new ArrayList<>();
        for (Future<PartResult> f : futures) {
            results.add(await(f));
        }
        return results;
    }

    /**
     * Parts written into memory by the workers, appended to the output in order by this thread, which submits a
     * part only when it is at most the window ahead of the one it writes: at most that many parts are held.
     */
    private List<PartResult> inOrder(Writers writers, ItemPlan plan, List<PartSpec> specs, ImageOutput output,
            PartWriter.Progress meter, ExecutorService pool, BufferPool buffers) throws IOException {
        int window = WINDOW_PER_THREAD * threads;
        List<Future<Produced>> futures = new ArrayList<>();
        List<PartResult> results = new ArrayList<>();
        int last = specs.size() - 1;
        byte[] previousIndex = null;
        long base = 0;
        try (OutputStream out = new java.io.BufferedOutputStream(output.open(), 1 << 20)) {
            for (int i = 0; i < specs.size(); i++) {
                while (futures.size() < specs.size() && futures.size() < i + window) {
                    PartSpec spec = specs.get(futures.size());
                    futures.add(pool.submit(() -> produce(writers, spec, meter, buffers)));
                }
                Produced p = await(futures.get(i));
                futures.set(i, null);
                PartResult r = p.result();
                if (r.length() > 0) {
                    // Only the image's final cluster has unused entry slots; they hold the previous index's bytes.
                    byte[] stale = i == last && r.clusters() == 1 ? previousIndex : null;
                    PartPatcher.patch(new PartPatcher.Patch(r.part(), base, r.length(), r.clusterOffsets(), stale),
                            p.bytes().input(), out);
                    p.bytes().release();
                    base += r.length();
                    previousIndex = r.lastIndex();
                }
                results.add(r);
            }
        }
        return results;
    }

    private static Produced produce(Writers writers, PartSpec spec, PartWriter.Progress meter, BufferPool buffers)
            throws IOException {
        Buffer buf = new Buffer(buffers);
        try (PartWriter writer = writers.open()) {
            return new Produced(writer.write(spec.part(), spec.fromCluster(), spec.toCluster(), buf, meter), buf);
        }
    }

    private record Produced(PartResult result, Buffer bytes) {
    }

    /**
     * A part's bytes in memory, in chunks: no up-front array sized by a guess of the compressed size, and no
     * copying as it grows (both were a tenth of a -c 1 dump's CPU at 57 MiB); read back without a copy.
     */
    private static final class Buffer extends OutputStream {
        private static final int CHUNK = 1 << 20;
        private final BufferPool pool;
        private final List<byte[]> chunks = new ArrayList<>();
        private int used = CHUNK;

        Buffer(BufferPool pool) {
            this.pool = pool;
        }

        private void nextChunk() {
            chunks.add(pool.take(CHUNK));
            used = 0;
        }

        /** Gives the chunks back to the pool; the buffer is empty afterwards. */
        void release() {
            chunks.forEach(pool::give);
            chunks.clear();
            used = CHUNK;
        }

        @Override
        public void write(int b) {
            if (used == CHUNK) {
                nextChunk();
            }
            chunks.get(chunks.size() - 1)[used++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            while (len > 0) {
                if (used == CHUNK) {
                    nextChunk();
                }
                int n = Math.min(len, CHUNK - used);
                System.arraycopy(b, off, chunks.get(chunks.size() - 1), used, n);
                used += n;
                off += n;
                len -= n;
            }
        }

        java.io.InputStream input() {
            return new java.io.InputStream() {
                private int chunk;
                private int pos;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (len == 0) {
                        return 0;
                    }
                    while (chunk < chunks.size()) {
                        int limit = chunk == chunks.size() - 1 ? used : CHUNK;
                        if (pos < limit) {
                            int n = Math.min(len, limit - pos);
                            System.arraycopy(chunks.get(chunk), pos, b, off, n);
                            pos += n;
                            return n;
                        }
                        chunk++;
                        pos = 0;
                    }
                    return -1;
                }
            };
        }
    }

    private static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof BtrfsFormatException fe) {
                throw new IOException(fe.getMessage(), fe);
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }

    /** Enough parts to keep every thread busy to the end, each at most {@link #PART_BYTES} of content. */
    private int autoParts(ItemPlan plan) {
        long bytes = plan.contentBytes(0, plan.clusters());
        long bySize = (bytes + PART_BYTES - 1) / PART_BYTES;
        return (int) Math.max(1, Math.min(Math.max(bySize, threads), plan.clusters()));
    }
}
