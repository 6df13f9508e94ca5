package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.format.Zeros;
import io.sparkbtrfs.image.ClusterWriter;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.image.ZlibCodec;

/**
 * Produces the bytes of clusters [from, to) of a plan: reads each item's content, scrubs tree blocks,
 * compresses, and writes clusters with offsets relative to the start of the part. Not thread-safe; one
 * per task.
 */
public final class PartWriter implements AutoCloseable {
    /** zstd window: 8 MiB, as level 19 uses anyway; a frame spans about {@link StreamFrames#FRAME_BYTES}. */
    private static final int WINDOW_LOG = 23;

    private final Volume volume;
    private final ItemPlan plan;
    private final DumpSettings settings;
    private final BlockScrubber scrubber;
    private final LeafItemTransform transform;
    private final int nodesize;
    private final io.sparkbtrfs.format.SystemRanges system;
    private final Deflater deflater;
    private final io.sparkbtrfs.image.ZstdStream.Encoder zstd;
    private final java.util.List<BlockProblem> problems = new java.util.ArrayList<>();
    /** Remote devices: items read ahead a window at a time; null where positional reads are cheap (local files). */
    private final ItemPrefetch prefetch;
    /** The item after the last of the part being written (the read-ahead stops there). */
    private int partEnd;
    private byte[] scratch = new byte[0];
    /** Reused zlib output. */
    private byte[] compressed = new byte[0];

    public PartWriter(Volume volume, ItemPlan plan, DumpSettings settings) {
        this.volume = volume;
        this.plan = plan;
        this.settings = settings;
        this.nodesize = volume.superblock().nodesize();
        this.system = io.sparkbtrfs.format.SystemRanges.of(volume.superblock());
        this.transform = settings.transform().forTask();
        this.scrubber = new BlockScrubber(nodesize, volume.superblock().checksumType(), transform);
        this.deflater = settings.codec() instanceof Codec.Zlib z ? new Deflater(z.level()) : null;
        this.zstd = settings.codec() instanceof Codec.Zstd z ? new io.sparkbtrfs.image.ZstdStream.Encoder(z.level(), WINDOW_LOG)
                : null;
        this.prefetch = volume.prefersBatches() ? new ItemPrefetch(volume, plan) : null;
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
        byte[][] payloads = new byte[MetadumpFormat.MAX_ITEMS][];
        long blocks = 0;
        long bytesIn = 0;
        io.sparkbtrfs.device.ReadCounts readsBefore = volume.readCounts();
        partEnd = toCluster > fromCluster ? plan.endItem(toCluster - 1) : plan.firstItem(fromCluster);
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
            } else {
                for (int i = first; i < end; i++) {
                    byte[] content = contentInto(i);
                    int length = plan.length(i);
                    compressed = atLeast(compressed, ZlibCodec.bound(length));
                    payloads[i - first] = ZlibCodec.compress(content, length, ((Codec.Zlib) codec).level(), deflater,
                            compressed);
                }
                offsets[c - fromCluster] = writer.write(bytenrs, payloads, end - first) - startOffset;
                java.util.Arrays.fill(payloads, null);
            }
            blocks += clusterBlocks;
            bytesIn += clusterBytes;
            if (progress != null) {
                progress.cluster(clusterBlocks, clusterBytes);
            }
        }
        return new PartResult(part, writer.offset() - startOffset, offsets, writer.lastIndex(), blocks, bytesIn,
                transform.taskStats(), java.util.List.copyOf(problems), volume.readCounts().minus(readsBefore));
    }

    /** Item {@code i}'s content as the image stores it before compression. */
    byte[] content(int i) throws IOException {
        return java.util.Arrays.copyOf(contentInto(i), plan.length(i));
    }

    /**
     * Item {@code i}'s content in the first {@code plan.length(i)} bytes of the returned array, which is
     * this writer's reused buffer (valid until the next call) or, for the superblock, a new array.
     */
    private byte[] contentInto(int i) throws IOException {
        long start = plan.start(i);
        int length = plan.length(i);
        switch (plan.kind(i)) {
            case ItemPlan.SUPERBLOCK: {
                byte[] sb = volume.rawPrimarySuperblock();
                if (sb.length != length) {
                    throw new BlockReadException(start, "superblock item of " + length + " bytes");
                }
                if (settings.clearLabel()) {
                    Superblock.clearLabel(sb);
                    volume.superblock().checksumType().store(sb, 0, sb.length);
                }
                return sb;
            }
            case ItemPlan.METADATA: {
                byte[] buf = scratch = atLeast(scratch, length);
                BlockReadException[] failures = prefetched(i, buf) ? volume.validateTreeBlocks(start, length, buf, true)
                        : volume.readTreeBlocks(start, length, buf);
                for (int b = 0, off = 0; off < length; b++, off += nodesize) {
                    if (failures[b] != null) {
                        if (!settings.bestEffort()) {
                            throw failures[b];
                        }
                        Zeros.fill(buf, off, off + nodesize);
                        salvage(start + off, failures[b].getMessage(), buf, off);
                        continue;
                    }
                    if (plan.mustBeLeaf(i, off) && TreeBlock.level(buf, off) != 0) {
                        notALeaf(start + off, buf, off);
                    }
                    if (system.intersects(start + off, nodesize) && TreeBlock.owner(buf, off) != Key.CHUNK_TREE_OBJECTID) {
                        misplaced(start + off, TreeBlock.owner(buf, off));
                    }
                    scrubber.scrub(buf, off);
                }
                return buf;
            }
            case ItemPlan.DATA: {
                byte[] buf = scratch = atLeast(scratch, length);
                if (!prefetched(i, buf)) {
                    volume.readLogical(start, buf, 0, length);
                }
                return buf;
            }
            default:
                throw new BlockReadException(start, "unknown item kind " + plan.kind(i));
        }
    }

    /** Whether item {@code i} came from the read-ahead (its first copy, unchecked) into {@code buf}. */
    private boolean prefetched(int i, byte[] buf) {
        return prefetch != null && i < partEnd && prefetch.copy(i, partEnd, buf);
    }

    /**
     * A valid block that a walk planned as a leaf, on its parent's word, is not one: the dump fails as the walk
     * would have failed reading it; with best effort it is dumped, as the walk dumps a block of the wrong level,
     * and its pointers are not followed (the plan is made).
     */
    private void notALeaf(long logical, byte[] buf, int off) throws BlockReadException {
        String why = "tree block " + Long.toUnsignedString(logical) + " has level " + TreeBlock.level(buf, off)
                + ", expected 0 (its parent points to a leaf)";
        if (!settings.bestEffort()) {
            throw new BlockReadException(logical, why);
        }
        problems.add(new BlockProblem(logical, treeOf(TreeBlock.owner(buf, off)), why, "dumped, not followed"));
    }

    /**
     * A sound block of another tree inside a system chunk (the chunk map is damaged: a fuzzed system chunk
     * that overlaps the others). Every restore takes such a block for a chunk-tree block and fails, so the
     * default dump refuses rather than exit 0 with an image that cannot be restored; best effort keeps it
     * and says so.
     */
    private void misplaced(long logical, long owner) throws BlockReadException {
        String reason = "lies in a system chunk: a restore reads every block of a system chunk as part of the chunk tree";
        if (!settings.bestEffort()) {
            throw new BlockReadException(logical, "metadata block " + Long.toUnsignedString(logical) + " of tree " + owner
                    + " " + reason + ", so the image would not restore; the chunk map is damaged (dump with "
                    + "--best-effort to keep the block anyway)");
        }
        problems.add(new BlockProblem(logical, "tree " + owner, reason, "dumped as read: the image will not restore"));
    }

    /** {@code b} if it holds {@code n} bytes, else a new array of at least {@code n} (doubling: reused buffers). */
    private static byte[] atLeast(byte[] b, int n) {
        return b.length >= n ? b : new byte[Math.max(n, b.length * 2)];
    }

    /**
     * A block that fails on every copy: kept as read so that the damage stays visible (never re-checksummed),
     * or left zero if unreadable, or when names must not leak (sanitizing: an unparsable block cannot be
     * scrubbed).
     */
    private void salvage(long logical, String reason, byte[] buf, int off) {
        byte[] raw = volume.readRawBlock(logical);
        String tree = raw == null ? "unknown tree" : treeOf(TreeBlock.owner(raw, 0));
        String action;
        Superblock sb = volume.superblock();
        if (raw == null) {
            action = "not readable: zeroed in the image";
        } else if (TreeBlock.validate(raw, 0, nodesize, logical, sb.checksumType(), sb.metadataFsid()) == null) {
            // Only too new (the source changed): a sound block, scrubbed (and sanitized) like any other.
            System.arraycopy(raw, 0, buf, off, nodesize);
            scrubber.scrub(buf, off);
            action = "dumped as read (scrubbed)";
        } else if (settings.clearLabel()) {
            action = "zeroed in the image (sanitizing: an invalid block cannot be scrubbed)";
        } else {
            System.arraycopy(raw, 0, buf, off, nodesize);
            action = "dumped as read";
        }
        problems.add(new BlockProblem(logical, tree, reason, action));
    }

    /** The owner field of a damaged block, if it is plausible at all. */
    private static String treeOf(long owner) {
        return TreeBlock.plausibleOwner(owner) ? "tree " + owner + " (per its header)" : "unknown tree";
    }

    @Override
    public void close() {
        if (deflater != null) {
            deflater.end();
        }
        if (zstd != null) {
            zstd.close();
        }
    }
}
