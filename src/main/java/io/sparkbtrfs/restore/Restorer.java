package io.sparkbtrfs.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.DevItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeRoot;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.store.FileIdentity;
import io.sparkbtrfs.store.OutputFile;
import io.sparkbtrfs.store.Umask;

/**
 * Default restore of a metadump onto one file or device (spec §5): phase 1 learns the chunk placement,
 * phase 2 streams the image again and writes every item at its physical place (DUP copies too), items
 * inflated on a bounded pool of workers in 512 KiB pieces; at the end the patched superblock and its
 * mirrors that fit are written and a regular file is extended to the device size. The superblock goes
 * last, so an interrupted restore never looks like a filesystem.
 */
public final class Restorer {
    private static final int PIECE = 512 * 1024;

    private final int threads;
    private final PrintStream err;

    private final boolean progress;
    private final boolean force;
    /** Set per restore: what the targets must not be, and their mode. */
    private List<OutputFile.Guarded> guarded = List.of();
    private int mode = Umask.fileMode();

    public Restorer(int threads, PrintStream err) {
        this(threads, err, false, false);
    }

    /**
     * @param progress print a self-overwriting status line on {@code err} (for an interactive terminal)
     * @param force write block devices even when they are in use (mounted, held)
     */
    public Restorer(int threads, PrintStream err, boolean progress, boolean force) {
        this.threads = Math.max(1, threads);
        this.err = err;
        this.progress = progress;
        this.force = force;
    }

    /** Opens a target of the current restore under the output contract. */
    Target openTarget(String spec) throws RestoreException {
        return Target.open(spec, guarded, mode, force);
    }

    /** Default restore onto one target. */
    public RestoreSummary restore(String imageSpec, String targetSpec, java.util.function.Supplier<Configuration> conf, InputStream stdin)
            throws RestoreException {
        return restore(imageSpec, java.util.List.of(targetSpec), false, false, conf, stdin);
    }

    /**
     * Restore onto {@code targets}: one target (default restore, chunks remapped onto it), or with
     * {@code multiDevice} one target per device of the filesystem, in devid order, every block written to
     * every copy through the filesystem's own RAID mapping.
     */
    public RestoreSummary restore(String imageSpec, java.util.List<String> targets, boolean multiDevice,
            java.util.function.Supplier<Configuration> conf, InputStream stdin) throws RestoreException {
        return restore(imageSpec, targets, multiDevice, false, conf, stdin);
    }

    /**
     * An image made as it is read: each {@link #open} streams it from its first byte (a restore reads it twice).
     * A chain's restore is one, so that no intermediate image is written.
     */
    public interface GeneratedImage {
        /** Names the image in messages. */
        String name();

        /** The image from its first byte. */
        InputStream open() throws IOException;

        /** The files the image is made from, which the target must not be. */
        java.util.List<String> sources();
    }

    /** Default restore of a generated image onto one target, its mode that of the files it is made from. */
    public RestoreSummary restore(GeneratedImage image, String targetSpec) throws RestoreException {
        List<OutputFile.Guarded> g = new ArrayList<>();
        for (String source : image.sources()) {
            g.add(new OutputFile.Guarded("a file the image is made from", source));
        }
        int m = OutputFile.imageModeFor(image.sources());
        try (ImageInput input = ImageInput.generated(image)) {
            return restore(input, g, m, java.util.List.of(targetSpec), false, false, System.nanoTime());
        }
    }

    /** As above; {@code oldStyle} is {@code -o}: identity placement (see {@link OldRestore}). */
    public RestoreSummary restore(String imageSpec, java.util.List<String> targets, boolean multiDevice,
            boolean oldStyle, java.util.function.Supplier<Configuration> conf, InputStream stdin) throws RestoreException {
        long started = System.nanoTime();
        List<OutputFile.Guarded> g = new ArrayList<>();
        g.add(new OutputFile.Guarded("the image being restored", imageSpec));
        for (int i = 0; i < targets.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (FileIdentity.of(targets.get(i)).overlaps(FileIdentity.of(targets.get(j)))) {
                    throw new RestoreException("targets " + targets.get(j) + " and " + targets.get(i)
                            + " are the same device");
                }
            }
        }
        java.nio.file.Path local = FileIdentity.localPath(imageSpec);
        int m = local != null && java.nio.file.Files.exists(local) ? Umask.imageMode(Umask.modeOf(local))
                : Umask.fileMode();
        try (ImageInput input = ImageInput.open(imageSpec, conf, stdin)) {
            return restore(input, g, m, targets, multiDevice, oldStyle, started);
        }
    }

    private RestoreSummary restore(ImageInput input, List<OutputFile.Guarded> g, int m, java.util.List<String> targets,
            boolean multiDevice, boolean oldStyle, long started) throws RestoreException {
        guarded = g;
        mode = m;
        ImageHeader header;
        try (InputStream in = input.stream()) {
            header = ChunkMapBuilder.read(in, input.name());
        } catch (IOException e) {
            throw new RestoreException(input.name() + ": read error: " + e.getMessage(), e);
        } catch (ImageFormatException e) {
            throw new RestoreException(e.getMessage() + (e.getMessage().endsWith(ImageReader.UNRECOGNIZED_HEADER)
                    ? io.sparkbtrfs.store.FileKinds.filesystemHint(input.name()) : ""), e);
        }
        if (header.version() == io.sparkbtrfs.image.ImageVersion.DELTA) {
            throw new RestoreException(input.name() + ": a delta image holds only what changed since its base: restore"
                    + " it with its chain (restore-chain BASE DELTA... TARGET)");
        }
        if (multiDevice) {
            return MultiDevice.restore(this, input, header, targets, started);
        }
        if (oldStyle) {
            return OldRestore.restore(this, input, header, targets.get(0), started);
        }
        byte[] superblock = SuperblockPatcher.patch(header);
        try (Target target = openTarget(targets.get(0))) {
            ChunkTreeFixer fixer = header.multiDevice()
                    ? new ChunkTreeFixer(header.superblock().nodesize(), header.superblock().metadataFsid(),
                            header.map(), header.superblock().devid(), header.superblock().deviceUuid(),
                            header.superblock().checksumType())
                    : null;
            Placer placer = new Placer(header.map(), target, err);
            Written written = writeItems(input, header, new Sink() {
                @Override
                public void write(long logical, byte[] buf, int len) throws RestoreException {
                    if (fixer != null) {
                        fixer.fix(buf, len, logical);
                    }
                    placer.write(logical, buf, len);
                }

                @Override
                public void write(long logical, java.nio.ByteBuffer buf) throws RestoreException {
                    if (fixer != null) {
                        Sink.super.write(logical, buf); // chunk tree blocks are patched on the heap
                    } else {
                        placer.write(logical, buf);
                    }
                }
            });
            if (header.multiDevice()) {
                superblock = new SingleDeviceFixup(target, header.map(), header.superblock()).run(superblock);
            }
            long size = finish(target, header.superblock(), superblock);
            target.commit();
            return new RestoreSummary(written.items(), written.bytes(), size, (System.nanoTime() - started) / 1_000_000,
                    written.notes());
        }
    }

    /** Receives each inflated piece of an item with its logical address. */
    @FunctionalInterface
    interface Sink {
        void write(long logical, byte[] buf, int len) throws RestoreException;

        /**
         * The same for {@code buf}'s remaining bytes, a direct buffer read straight from the image (stored items);
         * a sink that can write it as it is avoids two copies through the heap. By default, through a heap copy.
         */
        default void write(long logical, java.nio.ByteBuffer buf) throws RestoreException {
            byte[] b = new byte[buf.remaining()];
            buf.get(buf.position(), b);
            write(logical, b, b.length);
        }
    }

    /** What {@link #writeItems} wrote: items, content bytes, and notes for the summary (a re-checksum). */
    record Written(long items, long bytes, java.util.List<String> notes) {
    }

    /**
     * Phase 2: every item but the superblock through {@code sink}, tree blocks first given the filesystem's
     * checksum type where the image carries CRC-32C instead ({@link ChecksumRepair}). Fails (or, for an image
     * recognised as a {@code --best-effort} dump, warns) if the image lacks a root block the filesystem needs
     * to open ({@link ImageCompleteness}): checked as the items stream past, before the caller writes the
     * superblock.
     */
    Written writeItems(ImageInput input, ImageHeader header, Sink target) throws RestoreException {
        ImageCompleteness completeness = new ImageCompleteness(header.superblock());
        ChecksumRepair repair = ChecksumRepair.forFilesystem(header.superblock());
        Sink sink = new Sink() {
            @Override
            public void write(long logical, byte[] buf, int len) throws RestoreException {
                if (holdsTreeBlocks(header.map(), logical)) {
                    completeness.blocks(logical, buf, 0, len); // before the target's sink patches the piece
                }
                if (repair != null) {
                    repair.repair(buf, len, logical);
                }
                target.write(logical, buf, len);
            }

            @Override
            public void write(long logical, java.nio.ByteBuffer buf) throws RestoreException {
                if (repair != null) {
                    Sink.super.write(logical, buf); // patched on the heap
                    return;
                }
                if (holdsTreeBlocks(header.map(), logical)) {
                    completeness.blocks(logical, buf);
                }
                target.write(logical, buf);
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "restore-worker");
            t.setDaemon(true);
            return t;
        });
        Semaphore inFlight = new Semaphore(threads * 2);
        AtomicReference<RestoreException> failure = new AtomicReference<>();
        AtomicLong items = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        Thread meter = progress ? startMeter(items, bytes) : null;
        StreamedFrames.Jobs jobs = (where, job) -> {
            try {
                inFlight.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // a signal: stop reading, let the caller clean up
                failure.compareAndSet(null, new RestoreException(input.name() + ": interrupted"));
                return;
            }
            pool.execute(() -> {
                try {
                    job.run();
                } catch (RestoreException e) {
                    failure.compareAndSet(null, e);
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, new RestoreException(input.name() + ": " + where + ": " + e, e));
                } finally {
                    inFlight.release();
                }
            });
        };
        // Closed once the workers are done (below), not with the reading loop.
        java.nio.channels.FileChannel channel = input.channel();
        try (InputStream in = input.stream();
                StreamedFrames frames = new StreamedFrames(input.name(), header, sink, items, bytes, jobs)) {
            // Stored items of a local image are read by the workers themselves, into direct buffers.
            ImageReader reader = new ImageReader(in, input.name()).decodeStreams(false)
                    .skipStoredPayloads(channel != null);
            for (ImageReader.Cluster c = reader.next(); c != null && failure.get() == null; c = reader.next()) {
                if (c.streamed()) {
                    frames.add(c);
                    continue;
                }
                for (int i = 0; i < c.size() && failure.get() == null; i++) {
                    long bytenr = c.bytenrs()[i];
                    if (bytenr == Superblock.PRIMARY_OFFSET) {
                        items.incrementAndGet();
                        continue; // written last, patched
                    }
                    ImageReader.Cluster cluster = c;
                    int index = i;
                    jobs.submit("item " + index + " of cluster at offset " + cluster.offset(), () -> {
                        int limit = itemLimit(header, cluster.bytenrs()[index]);
                        long n = cluster.payloads()[index] == null
                                ? writeStored(channel, cluster, index, limit, sink, input.name())
                                : writeItem(cluster, index, limit, sink, input.name());
                        items.incrementAndGet();
                        bytes.addAndGet(n);
                    });
                }
            }
        } catch (IOException e) {
            failure.compareAndSet(null, new RestoreException(input.name() + ": read error: " + e.getMessage(), e));
        } catch (ImageFormatException e) {
            failure.compareAndSet(null, new RestoreException(e.getMessage(), e));
        } finally {
            if (meter != null) {
                meter.interrupt();
            }
            pool.shutdown();
            try {
                while (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
                    // workers are bounded by their item's limit; wait for them to end
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pool.shutdownNow();
            }
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // read-only
                }
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        requireComplete(input.name(), completeness);
        String note = repair == null ? null : repair.note();
        return new Written(items.get(), bytes.get(), note == null ? java.util.List.of() : java.util.List.of(note));
    }

    private void requireComplete(String image, ImageCompleteness completeness) throws RestoreException {
        java.util.List<TreeRoot> missing = completeness.missing();
        if (missing.isEmpty()) {
            return;
        }
        String lacks = image + ": the image lacks " + TreeRoot.summary(missing);
        if (!completeness.bestEffortDump()) {
            throw new RestoreException(lacks + ", so the filesystem would not open (was the source written to "
                    + "during the dump?)");
        }
        err.println("WARNING: " + lacks + "; it holds blocks that failed validation, as a --best-effort dump of "
                + "a damaged filesystem does: the restored filesystem may not open");
    }

    /** Whether {@code logical} lies in a chunk that holds tree blocks (metadata, system, or mixed). */
    static boolean holdsTreeBlocks(RestoreMap map, long logical) {
        Placement p = map.find(logical);
        return p != null && (p.type() & ChunkItem.TREE_BLOCK_KINDS) != 0;
    }

    private Thread startMeter(AtomicLong items, AtomicLong bytes) {
        long start = System.nanoTime();
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Thread.sleep(500);
                    double secs = (System.nanoTime() - start) / 1e9;
                    err.printf("\rrestoring: %d items, %.1f MiB, %.1f MiB/s   ", items.get(), bytes.get() / 1048576.0,
                            bytes.get() / 1048576.0 / secs);
                    err.flush();
                }
            } catch (InterruptedException e) {
                err.print("\r\033[K");
                err.flush();
            }
        }, "restore-progress");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Largest content item {@code bytenr} may inflate to: the version's item limit, or more in a data chunk
     * ({@link io.sparkbtrfs.image.ImageVersion#itemLimitInDataChunk}).
     */
    public static int itemLimit(ImageHeader header, long bytenr) {
        Placement p = header.map().find(bytenr);
        if (p != null && (p.type() & io.sparkbtrfs.format.ChunkItem.TYPE_DATA) != 0) {
            return header.version().itemLimitInDataChunk(p.length());
        }
        return header.version().itemLimit();
    }

    /** Inflates item {@code i} piece by piece and writes each piece; returns its content length. */
    private static long writeItem(ImageReader.Cluster c, int i, int limit, Sink sink, String name)
            throws RestoreException {
        long bytenr = c.bytenrs()[i];
        try {
            if (c.compress() == MetadumpFormat.COMPRESS_ZLIB) {
                return c.forEachZlibPiece(i, limit, DIRECT_PIECES.get(), INFLATERS.get(),
                        (offset, piece) -> sink.write(bytenr + offset, piece));
            }
            return c.forEachPiece(i, limit, PIECES.get(), INFLATERS.get(),
                    (offset, piece, len) -> sink.write(bytenr + offset, piece, len));
        } catch (DataFormatException e) {
            throw new RestoreException(name + ": item " + i + " of cluster at offset " + c.offset() + ": "
                    + e.getMessage());
        }
    }

    /** A reused piece buffer of this thread (sinks write and patch a piece before returning). */
    static byte[] piece() {
        return PIECES.get();
    }

    /** Item {@code i}, stored uncompressed, read from the image in pieces into this thread's direct buffer. */
    private static long writeStored(java.nio.channels.FileChannel channel, ImageReader.Cluster c, int i, int limit,
            Sink sink, String name) throws RestoreException {
        long size = c.storedSize(i);
        String where = name + ": item " + i + " of cluster at offset " + c.offset();
        if (size > limit) {
            throw new RestoreException(where + ": " + size + " bytes, more than the " + limit + " an item may hold");
        }
        java.nio.ByteBuffer piece = DIRECT_PIECES.get();
        long at = c.payloadOffset(i);
        long bytenr = c.bytenrs()[i];
        for (long done = 0; done < size;) {
            int n = (int) Math.min(piece.capacity(), size - done);
            piece.clear().limit(n);
            try {
                while (piece.hasRemaining()) {
                    if (channel.read(piece, at + done + piece.position()) < 0) {
                        throw new RestoreException(where + ": the image ends inside its payload");
                    }
                }
            } catch (IOException e) {
                throw new RestoreException(where + ": read error: " + e.getMessage(), e);
            }
            piece.flip();
            sink.write(bytenr + done, piece);
            done += n;
        }
        return size;
    }

    private static final ThreadLocal<java.nio.ByteBuffer> DIRECT_PIECES = ThreadLocal.withInitial(
            () -> java.nio.ByteBuffer.allocateDirect(PIECE));

    /*
     * Each worker thread reuses one piece buffer and one inflater: sinks write (and patch) a piece before
     * returning, and per-item 512 KiB buffers were garbage that outlived young collections, so the heap (and
     * the RSS) grew with the image.
     */
    private static final ThreadLocal<byte[]> PIECES = ThreadLocal.withInitial(() -> new byte[PIECE]);
    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(Inflater::new);

    /** Superblock and its mirrors, then the size. Returns the final target size. */
    static long finish(Target target, Superblock sb, byte[] superblock) throws RestoreException {
        long devSize = DevItem.totalBytes(superblock, Superblock.DEV_ITEM_OFFSET);
        target.extendTo(devSize);
        long size = target.size();
        target.write(Superblock.PRIMARY_OFFSET, superblock, 0, Superblock.SIZE);
        for (long mirror : Superblock.MIRROR_OFFSETS) {
            if (mirror + Superblock.SIZE <= size) {
                target.write(mirror, SuperblockPatcher.mirror(superblock, mirror, sb.checksumType()), 0,
                        Superblock.SIZE);
            }
        }
        target.force();
        return target.size();
    }
}
