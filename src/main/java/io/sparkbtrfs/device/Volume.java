package io.sparkbtrfs.device;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;

/**
 * An opened btrfs filesystem: its devices by devid, its superblock and its chunk map. Reads tree blocks
 * with validation and mirror fallback, and logical ranges through the chunk mapping. Thread-safe.
 */
public final class Volume implements Closeable {
    private final String primaryName;
    private final Map<Long, BlockSource> devices;
    private final Superblock superblock;
    private final ChunkMap chunkMap;
    private final int nodesize;
    private final ChecksumType csum;
    private final byte[] fsid;
    /** A repaired primary superblock (from a backup copy) that the image stores instead of the damaged one. */
    private byte[] superblockOverride;
    /** The primary superblock on the device was seen to differ from {@link #superblock}. */
    private volatile boolean changed;
    /** Tree blocks read (each block once, whether read alone, in a batch or as part of an item). */
    private final java.util.concurrent.atomic.LongAdder treeBlocksRead = new java.util.concurrent.atomic.LongAdder();

    private Volume(String primaryName, Map<Long, BlockSource> devices, Superblock superblock, ChunkMap chunkMap) {
        this.primaryName = primaryName;
        this.devices = devices;
        this.superblock = superblock;
        this.chunkMap = chunkMap;
        this.nodesize = superblock.nodesize();
        this.csum = superblock.checksumType();
        this.fsid = superblock.metadataFsid();
    }

    /**
     * Opens the filesystem on {@code specs} (the first is the primary device, the others further devices of
     * the same filesystem): validates the superblocks, then reads the chunk tree to build the chunk map.
     */
    public static Volume open(List<String> specs, Configuration conf) throws IOException, BtrfsFormatException {
        return open(specs, conf, null);
    }

    /**
     * As {@link #open(List, Configuration)}; with {@code repairs} non-null (best effort), a primary device
     * whose superblock fails validation is opened from its first valid backup copy (64 MiB, 256 GiB), which
     * then stands in for the primary (bytenr 65536, checksum recomputed); what was done goes to {@code repairs}.
     */
    public static Volume open(List<String> specs, Configuration conf, List<String> repairs)
            throws IOException, BtrfsFormatException {
        Map<Long, BlockSource> devices = new LinkedHashMap<>();
        byte[] override = null;
        boolean done = false;
        try {
            Superblock primary = null;
            for (String spec : specs) {
                BlockSource source = BlockSources.open(spec, conf);
                Superblock sb;
                try {
                    sb = Superblock.parse(readSuperblock(source), spec);
                } catch (BtrfsFormatException e) {
                    byte[] backup = repairs == null || !devices.isEmpty() ? null : backupSuperblock(source, e, repairs);
                    if (backup == null) {
                        source.close();
                        throw e;
                    }
                    override = backup;
                    sb = Superblock.parse(backup, spec);
                } catch (IOException | RuntimeException e) {
                    source.close();
                    throw e;
                }
                if (primary == null) {
                    primary = sb;
                } else if (!java.util.Arrays.equals(sb.fsid(), primary.fsid())) {
                    source.close();
                    throw new BtrfsFormatException(spec + ": device belongs to another filesystem");
                }
                BlockSource previous = devices.put(sb.devid(), source);
                if (previous != null) {
                    previous.close();
                    throw new BtrfsFormatException(spec + ": devid " + sb.devid() + " given twice");
                }
            }
            ChunkMap system = ChunkMap.of(primary.systemChunks());
            Volume boot = new Volume(specs.get(0), devices, primary, system);
            List<ChunkItem> all = new ArrayList<>(primary.systemChunks());
            try {
                Trees.forEachLeaf(boot::readTreeBlock, primary.chunkRoot(), primary.chunkRootLevel(), "chunk tree",
                        (block, nritems) -> collectChunks(block, nritems, boot.nodesize, all));
            } catch (BlockReadException e) {
                throw new BtrfsFormatException(specs.get(0) + ": cannot read the chunk tree: " + e.getMessage());
            }
            Volume volume = new Volume(specs.get(0), devices, primary, ChunkMap.of(all));
            volume.superblockOverride = override;
            done = true;
            return volume;
        } finally {
            if (!done) {
                for (BlockSource s : devices.values()) {
                    s.close();
                }
            }
        }
    }

    /** Re-opens a volume from a descriptor (on an executor): opens the devices, reads nothing. */
    public static Volume attach(VolumeDescriptor d, Configuration conf) throws IOException, BtrfsFormatException {
        Map<Long, BlockSource> devices = new LinkedHashMap<>();
        try {
            for (Map.Entry<Long, String> e : d.devices().entrySet()) {
                devices.put(e.getKey(), BlockSources.open(e.getValue(), conf, d.length(e.getKey())));
            }
            Volume v = new Volume(d.primary(), devices, Superblock.parse(d.superblock(), d.primary()), d.chunkMap());
            if (d.superblockRepaired()) {
                v.superblockOverride = d.superblock();
            }
            return v;
        } catch (IOException | BtrfsFormatException | RuntimeException e) {
            for (BlockSource s : devices.values()) {
                s.close();
            }
            throw e;
        }
    }

    public VolumeDescriptor descriptor() {
        Map<Long, String> names = new LinkedHashMap<>();
        Map<Long, Long> lengths = new LinkedHashMap<>();
        devices.forEach((devid, source) -> {
            names.put(devid, source.name());
            if (source instanceof HadoopBlockSource remote) {
                lengths.put(devid, remote.size());
            }
        });
        return new VolumeDescriptor(primaryName, names, chunkMap, superblock.bytes(), superblockOverride != null,
                lengths);
    }

    private static void collectChunks(byte[] block, int nritems, int nodesize, List<ChunkItem> out)
            throws BtrfsFormatException {
        for (int slot = 0; slot < nritems; slot++) {
            if (TreeBlock.itemType(block, 0, slot) != Key.CHUNK_ITEM) {
                continue;
            }
            Key key = TreeBlock.itemKey(block, 0, slot);
            if (!TreeBlock.itemInBounds(block, 0, nodesize, slot, nritems)) {
                throw new BtrfsFormatException("chunk tree block " + TreeBlock.bytenr(block, 0) + ": item " + slot
                        + " lies outside the block");
            }
            out.add(ChunkItem.parse(key.offset(), block, TreeBlock.itemDataStart(block, 0, slot),
                    (int) TreeBlock.itemSize(block, 0, slot), "chunk tree block " + TreeBlock.bytenr(block, 0)));
        }
    }

    private static byte[] backupSuperblock(BlockSource source, BtrfsFormatException primaryError, List<String> repairs)
            throws IOException {
        for (long mirror : Superblock.MIRROR_OFFSETS) {
            byte[] b = new byte[Superblock.SIZE];
            if (source.read(mirror, b, 0, b.length) < b.length) {
                continue;
            }
            try {
                Superblock.parse(b, source.name());
                Superblock.setBytenr(b, Superblock.PRIMARY_OFFSET);
                Superblock sb = Superblock.parse(repairChecksum(b), source.name());
                repairs.add(source.name() + ": " + primaryError.getMessage() + "; using the backup superblock at "
                        + mirror + " (generation " + sb.generation() + ")");
                return b;
            } catch (BtrfsFormatException ignored) {
                // try the next copy
            }
        }
        return null;
    }

    private static byte[] repairChecksum(byte[] b) {
        io.sparkbtrfs.format.ChecksumType t = Superblock.checksumType(b);
        if (t != null) {
            t.store(b, 0, Superblock.SIZE);
        }
        return b;
    }

    private static byte[] readSuperblock(BlockSource source) throws IOException, BtrfsFormatException {
        byte[] b = new byte[Superblock.SIZE];
        int n = source.read(Superblock.PRIMARY_OFFSET, b, 0, b.length);
        if (n < b.length) {
            throw new BtrfsFormatException(source.name() + ": not a btrfs filesystem (too short to hold a superblock at "
                    + Superblock.PRIMARY_OFFSET + ")");
        }
        return b;
    }

    public Superblock superblock() {
        return superblock;
    }

    public ChunkMap chunkMap() {
        return chunkMap;
    }

    /**
     * The primary device's superblock exactly as read when the volume was opened (the image stores it
     * verbatim): the one every plan is made from, even if the source has written a newer one since.
     */
    public byte[] rawPrimarySuperblock() {
        return superblockOverride != null ? superblockOverride.clone() : superblock.bytes();
    }

    /**
     * Reads and validates the tree block at {@code logical}, trying every copy in mirror order.
     *
     * @throws BlockReadException naming the block and the reason of the last failing copy
     */
    public byte[] readTreeBlock(long logical) throws BlockReadException {
        treeBlocksRead.increment();
        return readTreeBlockCopies(logical);
    }

    /** {@link #readTreeBlock} without counting it (a block already counted). */
    private byte[] readTreeBlockCopies(long logical) throws BlockReadException {
        ChunkItem chunk = chunkMap.find(logical);
        if (chunk == null) {
            throw new BlockReadException(logical, "unable to read metadata block " + Long.toUnsignedString(logical)
                    + ": no chunk maps this address");
        }
        if (chunk.contiguousFrom(logical) < nodesize) {
            throw new BlockReadException(logical, "unable to read metadata block " + Long.toUnsignedString(logical)
                    + ": block crosses a stripe or chunk boundary");
        }
        byte[] block = new byte[nodesize];
        String reason = null;
        for (int mirror = 0; mirror < chunk.copies(); mirror++) {
            reason = readCopy(chunk, logical, mirror, block, 0, nodesize);
            if (reason == null) {
                reason = check(block, 0, logical);
                if (reason == null) {
                    return block;
                }
            }
        }
        throw new BlockReadException(logical, "unable to read metadata block " + Long.toUnsignedString(logical)
                + ": " + reason);
    }

    /**
     * Reads the consecutive tree blocks [logical, logical+length) into {@code out} with one read of the first
     * copy when the range is contiguous on disk (the common case: an item of up to 256 KiB), validating each
     * block; a block that fails is read again on its own with mirror fallback. Returns for each block null if
     * valid, else the exception of its last copy (the caller decides: fail, or salvage).
     */
    public BlockReadException[] readTreeBlocks(long logical, int length, byte[] out) {
        ChunkItem chunk = chunkMap.find(logical);
        boolean bulk = chunk != null && chunk.contiguousFrom(logical) >= length
                && readCopy(chunk, logical, 0, out, 0, length) == null;
        return validateTreeBlocks(logical, length, out, bulk);
    }

    /**
     * Validates the consecutive tree blocks [logical, logical+length) that {@code out} holds as read from their
     * first copy (if {@code read}; else nothing is there yet): a block that fails is read again on its own with
     * mirror fallback. Returns for each block null if valid, else the exception of its last copy.
     */
    public BlockReadException[] validateTreeBlocks(long logical, int length, byte[] out, boolean read) {
        int blocks = length / nodesize;
        treeBlocksRead.add(blocks);
        BlockReadException[] failures = new BlockReadException[blocks];
        for (int i = 0; i < blocks; i++) {
            int off = i * nodesize;
            if (read && check(out, off, logical + off) == null) {
                continue;
            }
            try {
                System.arraycopy(readTreeBlockCopies(logical + off), 0, out, off, nodesize);
            } catch (BlockReadException e) {
                failures[i] = e;
            }
        }
        return failures;
    }

    /** Blocks a batch of tree blocks reads at most, so that memory stays bounded: 16 MiB. */
    private int batchBlocks() {
        return Math.max(1, (16 << 20) / nodesize);
    }

    /**
     * Reads and validates the tree blocks at {@code addresses} as {@link #readTreeBlock} does, handing each to
     * {@code sink} in the order given (a failure as the exception of its last copy). Where the devices are remote,
     * their first copies are read in batches of up to 16 MiB, each one vectored read per device.
     */
    public void readTreeBlocks(long[] addresses, Trees.BlockSink sink) throws BtrfsFormatException, BlockReadException {
        if (!prefersBatches()) {
            for (int i = 0; i < addresses.length; i++) {
                byte[] block = null;
                BlockReadException failure = null;
                try {
                    block = readTreeBlock(addresses[i]);
                } catch (BlockReadException e) {
                    failure = e;
                }
                sink.block(i, block, failure);
            }
            return;
        }
        int per = batchBlocks();
        for (int from = 0; from < addresses.length; from += per) {
            int n = Math.min(per, addresses.length - from);
            byte[] buf = new byte[n * nodesize];
            long[] starts = java.util.Arrays.copyOfRange(addresses, from, from + n);
            int[] lengths = new int[n];
            int[] offsets = new int[n];
            for (int i = 0; i < n; i++) {
                lengths[i] = nodesize;
                offsets[i] = i * nodesize;
            }
            boolean[] read = readFirstCopies(starts, lengths, n, buf, offsets);
            treeBlocksRead.add(n);
            for (int i = 0; i < n; i++) {
                byte[] block = null;
                BlockReadException failure = null;
                if (read[i] && check(buf, offsets[i], starts[i]) == null) {
                    block = java.util.Arrays.copyOfRange(buf, offsets[i], offsets[i] + nodesize);
                } else {
                    try {
                        block = readTreeBlockCopies(starts[i]);
                    } catch (BlockReadException e) {
                        failure = e;
                    }
                }
                sink.block(from + i, block, failure);
            }
        }
    }

    /**
     * Reads logical ranges [starts[i], starts[i] + lengths[i]) for i < count from their first copies, gathered per
     * device into one batch ({@link BlockSource#read(ReadBatch)}), range i into {@code out[offsets[i]..]}. Returns
     * for each range whether all of it was read; one that is not (it crosses a stripe or chunk boundary, its
     * device is missing or failed, the device ends) is the caller's to read otherwise, with mirror fallback.
     */
    public boolean[] readFirstCopies(long[] starts, int[] lengths, int count, byte[] out, int[] offsets) {
        boolean[] read = new boolean[count];
        Map<Long, ReadBatch> batches = new LinkedHashMap<>();
        Map<Long, int[]> owners = new LinkedHashMap<>(); // per device: batch range -> caller's range
        for (int i = 0; i < count; i++) {
            ChunkItem chunk = chunkMap.find(starts[i]);
            if (chunk == null || chunk.contiguousFrom(starts[i]) < lengths[i]) {
                continue;
            }
            ChunkItem.Location loc = chunk.locate(starts[i], 0);
            if (!devices.containsKey(loc.devid())) {
                continue;
            }
            ReadBatch batch = batches.computeIfAbsent(loc.devid(), d -> new ReadBatch(out));
            int range = batch.add(loc.physical(), offsets[i], lengths[i]);
            int[] own = owners.computeIfAbsent(loc.devid(), d -> new int[count]);
            own[range] = i;
        }
        for (Map.Entry<Long, ReadBatch> e : batches.entrySet()) {
            ReadBatch batch = e.getValue();
            try {
                devices.get(e.getKey()).read(batch);
            } catch (IOException failed) {
                continue; // each range is read again on its own, which reports what fails
            }
            int[] own = owners.get(e.getKey());
            for (int r = 0; r < batch.size(); r++) {
                read[own[r]] = batch.bytesRead(r) == batch.length(r);
            }
        }
        return read;
    }

    /** Whether some device is remote, where reads should be gathered into batches. */
    public boolean prefersBatches() {
        for (BlockSource s : devices.values()) {
            if (s.prefersBatches()) {
                return true;
            }
        }
        return false;
    }

    /** The largest gap across which a device of this volume reads a batch's ranges as one request. */
    public long mergeGap() {
        long gap = 0;
        for (BlockSource s : devices.values()) {
            gap = Math.max(gap, s.mergeGap());
        }
        return gap;
    }

    /** Tree blocks this volume has read so far. */
    public long treeBlocksRead() {
        return treeBlocksRead.sum();
    }

    /** Requests to the devices' stores so far and the bytes they fetched, over every device. */
    public ReadCounts readCounts() {
        ReadCounts sum = ReadCounts.NONE;
        for (BlockSource s : devices.values()) {
            sum = sum.plus(s.counts());
        }
        return sum;
    }

    /**
     * Why the tree block at {@code logical} cannot be read at all, known without reading it (no chunk maps it, it
     * crosses a boundary, no device of any copy is present), as {@link #readTreeBlock} would say; null if it may be.
     */
    public String unreadable(long logical) {
        ChunkItem chunk = chunkMap.find(logical);
        String why = null;
        if (chunk == null) {
            why = "no chunk maps this address";
        } else if (chunk.contiguousFrom(logical) < nodesize) {
            why = "block crosses a stripe or chunk boundary";
        } else {
            for (int mirror = 0; mirror < chunk.copies(); mirror++) {
                long devid = chunk.locate(logical, mirror).devid();
                if (devices.containsKey(devid)) {
                    return null;
                }
                why = "device " + devid + " is missing";
            }
        }
        return "unable to read metadata block " + Long.toUnsignedString(logical) + ": " + why;
    }

    /**
     * Why the block at {@code b[off..]} read for {@code logical} is not a block of this filesystem as its
     * superblock describes it; null if it is. Besides {@link TreeBlock#validate}, a block newer than the
     * superblock is refused if the source has changed since it was opened: it was written after the
     * superblock was read, over a block of the planned trees. (On a source that did not change, such a
     * block is damage the filesystem has, and is read as the reference reads it.)
     */
    private String check(byte[] b, int off, long logical) {
        String reason = TreeBlock.validate(b, off, nodesize, logical, csum, fsid);
        if (reason != null) {
            return reason;
        }
        String newer = TreeBlock.newerThan(b, off, superblock);
        return newer != null && changedSinceOpened() ? newer + "; the source is being written" : null;
    }

    /**
     * Whether the primary superblock on the device now differs from the one this volume was opened with
     * ({@link #superblockChanges}): the source is being written. Read again at each call until it has
     * changed. False if it cannot tell: the opened superblock was a repaired backup, or the device no longer
     * reads (the dump's final check reports that).
     */
    public boolean changedSinceOpened() {
        if (changed || superblockOverride != null) {
            return changed;
        }
        try {
            changed = superblockChanges(devices.get(superblock.devid()), superblock) != null;
        } catch (IOException e) {
            return false;
        }
        return changed;
    }

    /**
     * What differs between the primary superblock on {@code device} now and {@code opened}
     * ({@link Superblock#differences}, or that it no longer validates); null if nothing.
     *
     * @throws IOException if it cannot be read
     */
    public static String superblockChanges(BlockSource device, Superblock opened) throws IOException {
        byte[] now = new byte[Superblock.SIZE];
        if (device.read(Superblock.PRIMARY_OFFSET, now, 0, now.length) < now.length) {
            throw new IOException(device.name() + " ends before its superblock");
        }
        try {
            return Superblock.differences(opened, Superblock.parse(now, device.name()));
        } catch (BtrfsFormatException e) {
            return "the superblock no longer validates: " + e.getMessage();
        }
    }

    /** The bytes of the first readable copy of the block at {@code logical}, unvalidated; null if none. */
    public byte[] readRawBlock(long logical) {
        ChunkItem chunk = chunkMap.find(logical);
        if (chunk == null || chunk.contiguousFrom(logical) < nodesize) {
            return null;
        }
        byte[] block = new byte[nodesize];
        for (int mirror = 0; mirror < chunk.copies(); mirror++) {
            if (readCopy(chunk, logical, mirror, block, 0, nodesize) == null) {
                return block;
            }
        }
        return null;
    }

    /** Reads logical [logical, logical+len) through the chunk mapping, piece by piece, with mirror fallback. */
    public void readLogical(long logical, byte[] buf, int off, int len) throws BlockReadException {
        int done = 0;
        while (done < len) {
            long at = logical + done;
            ChunkItem chunk = chunkMap.find(at);
            if (chunk == null) {
                throw new BlockReadException(at, "unable to read logical " + Long.toUnsignedString(at)
                        + ": no chunk maps this address");
            }
            int piece = (int) Math.min(len - done, chunk.contiguousFrom(at));
            String reason = null;
            for (int mirror = 0; mirror < chunk.copies(); mirror++) {
                reason = readCopy(chunk, at, mirror, buf, off + done, piece);
                if (reason == null) {
                    break;
                }
            }
            if (reason != null) {
                throw new BlockReadException(at, "unable to read logical " + Long.toUnsignedString(at) + ": " + reason);
            }
            done += piece;
        }
    }

    /** Reads one copy; returns null on success, else why not. */
    private String readCopy(ChunkItem chunk, long logical, int mirror, byte[] buf, int off, int len) {
        ChunkItem.Location loc = chunk.locate(logical, mirror);
        BlockSource dev = devices.get(loc.devid());
        if (dev == null) {
            return "device " + loc.devid() + " is missing";
        }
        try {
            int n = dev.read(loc.physical(), buf, off, len);
            if (n < len) {
                return "device " + dev.name() + " ends before physical " + Long.toUnsignedString(loc.physical() + len)
                        + " (truncated?)";
            }
            return null;
        } catch (IOException e) {
            return "read error on " + dev.name() + " at " + Long.toUnsignedString(loc.physical()) + ": " + e.getMessage();
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (BlockSource s : devices.values()) {
            try {
                s.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
