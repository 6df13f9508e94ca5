package io.sparkbtrfs.image;

import java.util.Arrays;


/**
 * Record 0 of a delta image ({@link DeltaRecords}): which filesystem and moment it describes, which image it
 * applies to, the options of the full dump it completes (those a compaction reproduces), and its counts.
 *
 * <pre>
 * header := version u32 (2; 1 ends before listed items) @0 | nodesize u32 @4 | fsid [16] @8 | generation u64 @24
 *           | base generation u64 @32 | base superblock crc32c u32 @40 | flags u32 @44 (bit 0: -w plan,
 *           bit 1: the plan holds the extent tree's layout) | compress level u8 @48 | sanitize u8 @49
 *           (0 none, 1 -s, 2 -ss) | zstd level u8 @50 | 0 u8 @51 | frame bytes u64 @52
 *           | seed fingerprint u64 @60 | plan items u32 @68 | plan units u64 @72 | carried units u64 @80
 *           | carried items u32 @88 | plan records u32 @92 | plan bytes u64 @96 | plan crc32c u32 @104
 *           | listed items u32 @108
 * </pre>
 *
 * A unit is a tree block of a metadata item, or a whole superblock or data item. The base superblock crc32c is
 * that of the superblock item the base image holds (its content, as stored), which ties the delta to one image
 * of its base moment; the seed fingerprint is a keyed hash of the sanitizing secret, never the secret (0 when not
 * sanitizing). Listed items: how many of the plan's first items (the superblock included) are the tree blocks
 * that the extent tree lists, from a scan that skipped no extent item and met no tree-block extent of several
 * blocks; 0 when not so (a {@code -w} plan, or a version 1 header). A delta against this one amends that part of
 * the plan with the extent-tree leaves written since instead of scanning the whole extent tree.
 */
public record DeltaHeader(int nodesize, byte[] fsid, long generation, long baseGeneration, int baseSuperblockCrc,
        boolean walk, boolean layout, int compressLevel, int sanitize, int zstdLevel, long frameBytes,
        long seedFingerprint, int planItems, long planUnits, long carriedUnits, int carriedItems, int planRecords,
        long planBytes, int planCrc, int listedItems) {
    public static final int VERSION = 2;
    private static final int VERSION_1 = 1;
    public static final int SIZE = MetadumpFormat.Delta.HEADER_SIZE;
    public static final int SANITIZE_NONE = 0;
    public static final int SANITIZE_GARBAGE = 1;
    public static final int SANITIZE_COLLISIONS = 2;

    private static final int VERSION_OFFSET = MetadumpFormat.Delta.VERSION_OFFSET;
    private static final int NODESIZE_OFFSET = MetadumpFormat.Delta.NODESIZE_OFFSET;
    private static final int FSID_OFFSET = MetadumpFormat.Delta.FSID_OFFSET;
    private static final int FSID_SIZE = MetadumpFormat.Delta.FSID_SIZE;
    private static final int GENERATION_OFFSET = MetadumpFormat.Delta.GENERATION_OFFSET;
    private static final int BASE_GENERATION_OFFSET = MetadumpFormat.Delta.BASE_GENERATION_OFFSET;
    private static final int BASE_CRC_OFFSET = MetadumpFormat.Delta.BASE_CRC_OFFSET;
    private static final int FLAGS_OFFSET = MetadumpFormat.Delta.FLAGS_OFFSET;
    private static final int COMPRESS_OFFSET = MetadumpFormat.Delta.COMPRESS_OFFSET;
    private static final int SANITIZE_OFFSET = MetadumpFormat.Delta.SANITIZE_OFFSET;
    private static final int ZSTD_OFFSET = MetadumpFormat.Delta.ZSTD_OFFSET;
    private static final int RESERVED_OFFSET = MetadumpFormat.Delta.RESERVED_OFFSET;
    private static final int FRAME_BYTES_OFFSET = MetadumpFormat.Delta.FRAME_BYTES_OFFSET;
    private static final int SEED_OFFSET = MetadumpFormat.Delta.SEED_OFFSET;
    private static final int PLAN_ITEMS_OFFSET = MetadumpFormat.Delta.PLAN_ITEMS_OFFSET;
    private static final int PLAN_UNITS_OFFSET = MetadumpFormat.Delta.PLAN_UNITS_OFFSET;
    private static final int CARRIED_UNITS_OFFSET = MetadumpFormat.Delta.CARRIED_UNITS_OFFSET;
    private static final int CARRIED_ITEMS_OFFSET = MetadumpFormat.Delta.CARRIED_ITEMS_OFFSET;
    private static final int PLAN_RECORDS_OFFSET = MetadumpFormat.Delta.PLAN_RECORDS_OFFSET;
    private static final int PLAN_BYTES_OFFSET = MetadumpFormat.Delta.PLAN_BYTES_OFFSET;
    private static final int PLAN_CRC_OFFSET = MetadumpFormat.Delta.PLAN_CRC_OFFSET;
    private static final int LISTED_ITEMS_OFFSET = MetadumpFormat.Delta.LISTED_ITEMS_OFFSET;
    private static final int FLAG_WALK = 1;
    private static final int FLAG_LAYOUT = 2;
    /** Bytes of one item of the stored plan ({@code PlanCodec}). */
    public static final int PLAN_ITEM_BYTES = MetadumpFormat.Delta.ITEM_SIZE;

    public DeltaHeader {
        fsid = fsid.clone();
        if (fsid.length != FSID_SIZE) {
            throw new IllegalArgumentException("fsid of " + fsid.length + " bytes");
        }
    }

    @Override
    public byte[] fsid() {
        return fsid.clone();
    }

    /** Plan units that earlier links of the chain hold. */
    public long referencedUnits() {
        return planUnits - carriedUnits;
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        MetadumpFormat.Delta.put32(b, VERSION_OFFSET, VERSION);
        MetadumpFormat.Delta.put32(b, NODESIZE_OFFSET, nodesize);
        System.arraycopy(fsid, 0, b, FSID_OFFSET, FSID_SIZE);
        MetadumpFormat.Delta.put64(b, GENERATION_OFFSET, generation);
        MetadumpFormat.Delta.put64(b, BASE_GENERATION_OFFSET, baseGeneration);
        MetadumpFormat.Delta.put32(b, BASE_CRC_OFFSET, baseSuperblockCrc);
        MetadumpFormat.Delta.put32(b, FLAGS_OFFSET, (walk ? FLAG_WALK : 0) | (layout ? FLAG_LAYOUT : 0));
        b[COMPRESS_OFFSET] = (byte) compressLevel;
        b[SANITIZE_OFFSET] = (byte) sanitize;
        b[ZSTD_OFFSET] = (byte) zstdLevel;
        MetadumpFormat.Delta.put64(b, FRAME_BYTES_OFFSET, frameBytes);
        MetadumpFormat.Delta.put64(b, SEED_OFFSET, seedFingerprint);
        MetadumpFormat.Delta.put32(b, PLAN_ITEMS_OFFSET, planItems);
        MetadumpFormat.Delta.put64(b, PLAN_UNITS_OFFSET, planUnits);
        MetadumpFormat.Delta.put64(b, CARRIED_UNITS_OFFSET, carriedUnits);
        MetadumpFormat.Delta.put32(b, CARRIED_ITEMS_OFFSET, carriedItems);
        MetadumpFormat.Delta.put32(b, PLAN_RECORDS_OFFSET, planRecords);
        MetadumpFormat.Delta.put64(b, PLAN_BYTES_OFFSET, planBytes);
        MetadumpFormat.Delta.put32(b, PLAN_CRC_OFFSET, planCrc);
        MetadumpFormat.Delta.put32(b, LISTED_ITEMS_OFFSET, listedItems);
        return b;
    }

    /** Parses and checks a header record's body; {@code where} names it in messages. */
    public static DeltaHeader decode(DeltaRecords.Body body, String where) throws ImageFormatException {
        byte[] b = body.length() >= VERSION_OFFSET + 4 ? body.copy() : new byte[0];
        long version = b.length == 0 ? -1 : MetadumpFormat.Delta.u32(b, VERSION_OFFSET);
        if (version != VERSION && version != VERSION_1) {
            throw new ImageFormatException(where + ": delta version " + version + " (this tool reads " + VERSION_1
                    + " and " + VERSION + ")");
        }
        int size = version == VERSION ? SIZE : MetadumpFormat.Delta.HEADER_SIZE_V1;
        if (body.length() != size) {
            throw new ImageFormatException(where + ": delta header of " + body.length() + " bytes (expected " + size
                    + ")");
        }
        long listed = version == VERSION ? MetadumpFormat.Delta.u32(b, LISTED_ITEMS_OFFSET) : 0;
        long nodesize = MetadumpFormat.Delta.u32(b, NODESIZE_OFFSET);
        long flags = MetadumpFormat.Delta.u32(b, FLAGS_OFFSET);
        int compress = MetadumpFormat.Delta.u8(b, COMPRESS_OFFSET);
        int sanitize = MetadumpFormat.Delta.u8(b, SANITIZE_OFFSET);
        int zstd = MetadumpFormat.Delta.u8(b, ZSTD_OFFSET);
        long frameBytes = MetadumpFormat.Delta.u64(b, FRAME_BYTES_OFFSET);
        long planItems = MetadumpFormat.Delta.u32(b, PLAN_ITEMS_OFFSET);
        long planUnits = MetadumpFormat.Delta.u64(b, PLAN_UNITS_OFFSET);
        long carriedUnits = MetadumpFormat.Delta.u64(b, CARRIED_UNITS_OFFSET);
        long carriedItems = MetadumpFormat.Delta.u32(b, CARRIED_ITEMS_OFFSET);
        long planRecords = MetadumpFormat.Delta.u32(b, PLAN_RECORDS_OFFSET);
        long planBytes = MetadumpFormat.Delta.u64(b, PLAN_BYTES_OFFSET);
        long generation = MetadumpFormat.Delta.u64(b, GENERATION_OFFSET);
        long baseGeneration = MetadumpFormat.Delta.u64(b, BASE_GENERATION_OFFSET);
        String bad = null;
        if (nodesize < 4096 || nodesize > 65536 || Long.bitCount(nodesize) != 1) {
            bad = "nodesize " + nodesize;
        } else if ((flags & ~(long) (FLAG_WALK | FLAG_LAYOUT)) != 0 || b[RESERVED_OFFSET] != 0) {
            bad = "unknown flags 0x" + Long.toHexString(flags);
        } else if (compress > 9 || sanitize > SANITIZE_COLLISIONS || zstd > 22 || (zstd != 0 && frameBytes <= 0)) {
            bad = "options out of range (compress " + compress + ", sanitize " + sanitize + ", zstd " + zstd + ")";
        } else if (planItems == 0 || planItems > Integer.MAX_VALUE - 8 || planUnits < planItems || planUnits < 0
                || carriedUnits < 0 || carriedUnits > planUnits || carriedItems > carriedUnits) {
            bad = "counts out of range (" + planItems + " items, " + planUnits + " units, " + carriedUnits + " carried)";
        } else if (planBytes != planItems * PLAN_ITEM_BYTES || planRecords != DeltaRecords.planRecords(planBytes)
                || planRecords >= MetadumpFormat.RECORD_LIMIT) {
            bad = "plan of " + planBytes + " bytes in " + planRecords + " records";
        } else if (listed > planItems || listed == 1 || (listed != 0 && (flags & FLAG_WALK) != 0)) {
            bad = listed + " listed items of a plan of " + planItems;
        } else if (Long.compareUnsigned(baseGeneration, generation) > 0) {
            bad = "base generation " + Long.toUnsignedString(baseGeneration) + " is newer than generation "
                    + Long.toUnsignedString(generation);
        }
        if (bad != null) {
            throw new ImageFormatException(where + ": invalid delta header: " + bad);
        }
        return new DeltaHeader((int) nodesize, Arrays.copyOfRange(b, FSID_OFFSET, FSID_OFFSET + FSID_SIZE), generation,
                baseGeneration, (int) MetadumpFormat.Delta.u32(b, BASE_CRC_OFFSET), (flags & FLAG_WALK) != 0,
                (flags & FLAG_LAYOUT) != 0, compress, sanitize, zstd, frameBytes, MetadumpFormat.Delta.u64(b, SEED_OFFSET),
                (int) planItems, planUnits, carriedUnits, (int) carriedItems, (int) planRecords, planBytes,
                (int) MetadumpFormat.Delta.u32(b, PLAN_CRC_OFFSET), (int) listed);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeltaHeader h && Arrays.equals(h.encode(), encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "DeltaHeader[generation " + generation + ", base " + baseGeneration + "]";
    }
}
