package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

import io.sparkbtrfs.device.LongHashSet;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.DeltaHeader;
import io.sparkbtrfs.image.DeltaRecords;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageHead;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.sanitize.NameSanitizer;
import io.sparkbtrfs.sanitize.SanitizeMode;
import io.sparkbtrfs.store.ImageFiles;

/**
 * A delta image's plan: its records (header, then the full dump's plan), the superblock, every tree block the
 * pruned walk found ({@link ChangedBlocks}) in the full plan's order, and every data item (v1 space cache,
 * rewritten in place without a new generation) whole.
 */
public final class Incremental {
    /**
     * zstd level of a delta's own storage when the dump asks for no zstd level: 6, the first of the lazy matchers, makes
     * the 1% bench's delta 11% smaller than level 3 (4.5% of the -c 9 image instead of 5.1%) for about 0.2 s of CPU.
     */
    public static final int DEFAULT_DELTA_LEVEL = 6;

    private Incremental() {
    }

    /** The delta's plan and what its header says. */
    public record Delta(ItemPlan plan, DeltaHeader header) {
    }

    /**
     * The base image's head (a local file or a URI, read through {@code files}), checked against the source and the
     * options of this dump; refusals as messages.
     */
    public static ImageHead base(String base, ImageFiles files, Superblock source, SanitizeMode sanitize,
            OptionalLong seed) throws Dumper.DumpException {
        ImageHead head;
        try (InputStream in = new java.io.BufferedInputStream(files.open(base), 1 << 16)) {
            head = ImageHead.read(in, base, true);
        } catch (NoSuchFileException e) {
            throw new Dumper.DumpException("cannot open base image " + base + ": " + (e.getReason() == null
                    ? "no such file" : e.getReason()));
        } catch (IOException | ImageFormatException e) {
            throw new Dumper.DumpException("base image " + e.getMessage().replaceFirst("^" + java.util.regex.Pattern
                    .quote(base) + ": ", base + ": "));
        }
        if (!Arrays.equals(head.superblock().fsid(), source.fsid())) {
            throw new Dumper.DumpException("base image " + base + " is of another filesystem (fsid "
                    + hex(head.superblock().fsid()) + ", the source's is " + hex(source.fsid()) + ")");
        }
        if (Long.compareUnsigned(head.generation(), source.generation()) > 0) {
            throw new Dumper.DumpException("base image " + base + " is newer than the source (generation "
                    + Long.toUnsignedString(head.generation()) + ", the source is at "
                    + Long.toUnsignedString(source.generation()) + ")");
        }
        if (head.isDelta()) {
            int mode = sanitizeMode(sanitize);
            if (head.header().sanitize() != mode) {
                throw new Dumper.DumpException("base image " + base + " was made with " + modeName(head.header()
                        .sanitize()) + ", this dump with " + modeName(mode) + ": the chain would not be consistent");
            }
            if (head.header().seedFingerprint() != fingerprint(sanitize, seed)) {
                throw new Dumper.DumpException("base image " + base + " was sanitized with another secret (seed): "
                        + "the chain would not be consistent");
            }
        }
        return head;
    }

    /** At most this much of the base's content is decoded by {@link #sameTreatment}, and so many blocks compared. */
    private static final long SAMPLE_BYTES = 8L << 20;
    private static final int SAMPLE_BLOCKS = 256;

    /**
     * Checks that the base was written as this dump writes: the tree blocks among the base's first items that the
     * full plan still holds unchanged (same address, same generation: freed addresses are not reused within a
     * transaction) must come out of this dump's scrubbing and sanitizing byte for byte as the base holds them.
     * A full image records no options, so this is how a base made with another sanitizing mode or secret (or by
     * a tool that sanitizes at random) is refused. Blocks freed since are left out: their bytes may still be on
     * disk, but {@code -ss} re-keys a leaf by its place in its tree, which they no longer have. The sample is
     * bounded, and so is its cost. Returns the number of blocks compared.
     */
    public static int sameTreatment(String base, ImageFiles files, io.sparkbtrfs.device.Volume volume,
            DumpSettings settings, long baseGeneration, ItemPlan full) throws Dumper.DumpException {
        Superblock sb = volume.superblock();
        int nodesize = sb.nodesize();
        java.util.TreeMap<Long, byte[]> sample = new java.util.TreeMap<>(Long::compareUnsigned);
        long decoded = 0;
        try (InputStream in = new java.io.BufferedInputStream(files.open(base), 1 << 16)) {
            io.sparkbtrfs.image.ImageReader reader = new io.sparkbtrfs.image.ImageReader(in, base);
            io.sparkbtrfs.image.ImageReader.Cluster c;
            long[] spans = {0};
            // Only the items within the sample's budget are read; the rest of their cluster is skipped.
            io.sparkbtrfs.image.ImageReader.ItemFilter budget = (bytenr, span) -> (spans[0] += span) - span
                    < SAMPLE_BYTES;
            while (sample.size() < SAMPLE_BLOCKS && decoded < SAMPLE_BYTES && spans[0] < SAMPLE_BYTES
                    && (c = reader.next(budget)) != null) {
                for (int i = 0; i < c.size(); i++) {
                    if (c.payloads() != null && c.payloads()[i] == null) {
                        break;
                    }
                    byte[] content = c.content(i, reader.version().itemLimit());
                    decoded += content.length;
                    long start = c.bytenrs()[i];
                    if (Long.compareUnsigned(start, MetadumpFormat.RECORD_LIMIT) < 0
                            || start == Superblock.PRIMARY_OFFSET || content.length % nodesize != 0) {
                        continue;
                    }
                    for (int off = 0; off < content.length && sample.size() < SAMPLE_BLOCKS; off += nodesize) {
                        if (io.sparkbtrfs.format.TreeBlock.bytenr(content, off) == start + off
                                && Long.compareUnsigned(io.sparkbtrfs.format.TreeBlock.generation(content, off),
                                        baseGeneration) <= 0) {
                            sample.put(start + off, Arrays.copyOfRange(content, off, off + nodesize));
                        }
                    }
                }
            }
        } catch (IOException | ImageFormatException | java.util.zip.DataFormatException e) {
            throw new Dumper.DumpException("base image " + base + ": " + e.getMessage());
        }
        BlockScrubber scrubber = new BlockScrubber(nodesize, sb.checksumType(), settings.transform().forTask());
        int compared = 0;
        for (int i = 0; i < full.items() && !sample.isEmpty(); i++) {
            if (full.kind(i) != ItemPlan.METADATA) {
                continue;
            }
            long start = full.start(i);
            for (Long at : List.copyOf(sample.subMap(start, true, start + full.length(i), false).keySet())) {
                byte[] then = sample.remove(at);
                byte[] now;
                try {
                    now = volume.readTreeBlock(at);
                } catch (io.sparkbtrfs.device.BlockReadException e) {
                    continue; // the dump itself reports it
                }
                if (io.sparkbtrfs.format.TreeBlock.generation(now, 0) != io.sparkbtrfs.format.TreeBlock
                        .generation(then, 0)) {
                    continue; // rewritten since
                }
                scrubber.scrub(now, 0);
                if (!Arrays.equals(now, then)) {
                    throw new Dumper.DumpException("base image " + base + " holds the unchanged tree block at "
                            + Long.toUnsignedString(at) + " otherwise than this dump writes it: it was made with "
                            + "other sanitizing options or another secret (or by another tool); the chain would not "
                            + "be consistent");
                }
                compared++;
            }
        }
        return compared;
    }

    /**
     * The tree blocks that the extent tree listed at the base, ascending, as the base delta's plan holds them (its
     * first {@link DeltaHeader#listedItems} items); null where the base gives none (a full image, a {@code -w} plan,
     * a scan that was not plain, a version 1 delta) or not in a form a plain scan gives: the extent tree is then
     * scanned whole.
     */
    static long[] listedBlocks(ImageHead base, int nodesize) {
        if (!base.isDelta() || base.header().listedItems() == 0 || base.header().walk() || base.plan() == null) {
            return null;
        }
        ItemPlan plan;
        try {
            plan = PlanCodec.decode(base.plan(), nodesize, "base plan");
        } catch (PlanCodec.PlanException e) {
            return null;
        }
        int listed = base.header().listedItems();
        if (listed > plan.items()) {
            return null;
        }
        long count = 0;
        for (int i = 1; i < listed; i++) {
            if (plan.kind(i) != ItemPlan.METADATA) {
                return null;
            }
            count += plan.length(i) / nodesize;
        }
        long[] blocks = new long[(int) count];
        int n = 0;
        for (int i = 1; i < listed; i++) {
            for (int off = 0; off < plan.length(i); off += nodesize) {
                long b = plan.start(i) + off;
                if (n > 0 && Long.compareUnsigned(blocks[n - 1], b) >= 0) {
                    return null;
                }
                blocks[n++] = b;
            }
        }
        return blocks;
    }

    static int sanitizeMode(SanitizeMode s) {
        return switch (s) {
            case NONE -> DeltaHeader.SANITIZE_NONE;
            case GARBAGE -> DeltaHeader.SANITIZE_GARBAGE;
            case COLLISIONS -> DeltaHeader.SANITIZE_COLLISIONS;
        };
    }

    /** The secret's fingerprint (0 when not sanitizing; a sanitizing delta is refused without a given secret). */
    static long fingerprint(SanitizeMode s, OptionalLong seed) {
        if (!s.sanitizes()) {
            return 0;
        }
        if (seed.isEmpty()) {
            throw new IllegalStateException("a sanitizing delta needs the chain's secret");
        }
        return NameSanitizer.fingerprint(seed.getAsLong());
    }

    private static String modeName(int mode) {
        return switch (mode) {
            case DeltaHeader.SANITIZE_NONE -> "no sanitizing";
            case DeltaHeader.SANITIZE_GARBAGE -> "-s";
            default -> "-ss";
        };
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x));
        }
        return s.toString();
    }

    /**
     * The delta of {@code full} (the plan of a full dump of the source now) against a base at {@code base}'s
     * generation, carrying {@code carried}, of which {@code unreadLeaves} are marked as leaves for their tasks to check.
     */
    public static Delta plan(ItemPlan full, LongHashSet carried, LongHashSet unreadLeaves, int listedItems,
            ImageHead base,
            Superblock source, boolean walk, DumpSettings settings, OptionalLong seed) {
        int nodesize = source.nodesize();
        PlanBuilder content = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
        long planUnits = 0;
        long carriedUnits = 0;
        for (int i = 0; i < full.items(); i++) {
            long start = full.start(i);
            int length = full.length(i);
            switch (full.kind(i)) {
                case ItemPlan.SUPERBLOCK -> {
                    content.addSuperblock(start, length);
                    planUnits++;
                    carriedUnits++;
                }
                case ItemPlan.METADATA -> {
                    for (int off = 0; off < length; off += nodesize) {
                        planUnits++;
                        if (carried.contains(start + off)) {
                            content.add(start + off, nodesize, ItemPlan.METADATA);
                            carriedUnits++;
                        }
                    }
                }
                default -> {
                    content.add(start, length, full.kind(i));
                    planUnits++;
                    carriedUnits++;
                }
            }
        }
        ItemPlan carriedPlan = content.build();
        byte[] planBytes = PlanCodec.encode(full);
        DeltaHeader header = new DeltaHeader(nodesize, source.fsid(), source.generation(), base.generation(),
                base.superblockCrc(), walk, !walk, settings.codec() instanceof Codec.Zlib z ? z.level() : 0,
                sanitizeMode(settings.sanitize()), settings.codec() instanceof Codec.Zstd z ? z.level() : 0,
                settings.codec() instanceof Codec.Zstd z ? z.frameBytes() : StreamFrames.FRAME_BYTES,
                fingerprint(settings.sanitize(), seed), full.items(), planUnits,
                carriedUnits, carriedPlan.items(), DeltaRecords.planRecords(planBytes.length), planBytes.length,
                DeltaRecords.crc(planBytes, 0, planBytes.length), listedItems);
        List<byte[]> records = DeltaRecords.all(header, planBytes);
        if (records.size() > MetadumpFormat.RECORD_LIMIT) {
            throw new IllegalArgumentException("a plan of " + full.items() + " items is too large for a delta");
        }
        PlanBuilder b = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
        for (int r = 0; r < records.size(); r++) {
            b.addRecord(r, records.get(r).length);
        }
        for (int i = 0; i < carriedPlan.items(); i++) {
            if (carriedPlan.kind(i) == ItemPlan.SUPERBLOCK) {
                b.addSuperblock(carriedPlan.start(i), carriedPlan.length(i));
            } else if (carriedPlan.kind(i) == ItemPlan.METADATA) {
                for (int off = 0; off < carriedPlan.length(i); off += nodesize) {
                    long at = carriedPlan.start(i) + off;
                    if (unreadLeaves.contains(at)) {
                        b.addLeaf(at, nodesize);
                    } else {
                        b.add(at, nodesize, ItemPlan.METADATA);
                    }
                }
            } else {
                b.add(carriedPlan.start(i), carriedPlan.length(i), carriedPlan.kind(i));
            }
        }
        return new Delta(b.build(records.toArray(new byte[0][])), header);
    }
}
