package io.sparkbtrfs.format;

import static io.sparkbtrfs.format.LittleEndian.u16;
import static io.sparkbtrfs.format.LittleEndian.u32;
import static io.sparkbtrfs.format.LittleEndian.u64;
import static io.sparkbtrfs.format.LittleEndian.u8;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A validated, immutable copy of a btrfs superblock (4096 bytes at physical 65536 of every device, mirrored at
 * 64 MiB and 256 GiB: {@link #COPY_OFFSETS}), and the static setters that write one held as bytes.
 *
 * <pre>
 * superblock := csum 0 (32) | fsid 32 (16) | bytenr 48 | flags 56 | magic 64 | generation 72 | root 80
 *               | chunk_root 88 | log_root 96 | (log_root_transid 104) | total_bytes 112 | bytes_used 120
 *               | root_dir_objectid 128 | num_devices 136 | sectorsize 144 (u32) | nodesize 148 (u32)
 *               | (leafsize 152 (u32)) | stripesize 156 (u32) | sys_chunk_array_size 160 (u32)
 *               | chunk_root_generation 164 | compat_flags 172 | compat_ro_flags 180 | incompat_flags 188
 *               | csum_type 196 (u16) | root_level 198 (u8) | chunk_root_level 199 (u8) | log_root_level 200 (u8)
 *               | dev_item 201 ({@link DevItem}, 98) | label 299 (256) | cache_generation 555
 *               | uuid_tree_generation 563 | metadata_uuid 571 (16) | nr_global_roots 587
 *               | remap_root 595 | remap_root_generation 603 | remap_root_level 611 (u8) | reserved 612 (199)
 *               | sys_chunk_array 811 (2048) | super_roots 2859 (4 × 168) | padding up to 4096
 * sys_chunk_array := (key ({@link Key}, type CHUNK_ITEM) | chunk item ({@link ChunkItem}))*, sys_chunk_array_size bytes
 * </pre>
 *
 * Fields are u64 unless marked; the remap_root fields are reserved (zero) without the REMAP_TREE feature. Each
 * offset below is the previous one plus the previous field's size, so the chain is checked once, in a test.
 */
public final class Superblock {
    public static final long PRIMARY_OFFSET = 65536;
    /** Where the copies of the superblock live on a device: the primary, then the mirrors that fit. */
    public static final List<Long> COPY_OFFSETS = List.of(PRIMARY_OFFSET, 64L << 20, 256L << 30);
    /** The mirrors alone (the copies after the primary). */
    public static final List<Long> MIRROR_OFFSETS = COPY_OFFSETS.subList(1, COPY_OFFSETS.size());
    public static final int SIZE = 4096;
    public static final long MAGIC = 0x4D5F53665248425FL; // "_BHRfS_M"
    public static final long INCOMPAT_METADATA_UUID = 0x400;
    /** btrfs-progs 6.19's experimental remap tree: its root is named here, its blocks are not in the extent tree. */
    public static final long INCOMPAT_REMAP_TREE = 1L << 17;
    /** Superblock flags btrfs-image sets on restored filesystems (v1 images: METADUMP; v0: METADUMP_V2). */
    public static final long FLAG_METADUMP = 1L << 33;
    public static final long FLAG_METADUMP_V2 = 1L << 34;

    public static final int CSUM_OFFSET = 0;
    public static final int FSID_OFFSET = CSUM_OFFSET + ChecksumType.FIELD_SIZE;
    public static final int FSID_SIZE = 16;
    public static final int BYTENR_OFFSET = FSID_OFFSET + FSID_SIZE;
    public static final int FLAGS_OFFSET = BYTENR_OFFSET + Long.BYTES;
    public static final int MAGIC_OFFSET = FLAGS_OFFSET + Long.BYTES;
    public static final int GENERATION_OFFSET = MAGIC_OFFSET + Long.BYTES;
    public static final int ROOT_OFFSET = GENERATION_OFFSET + Long.BYTES;
    public static final int CHUNK_ROOT_OFFSET = ROOT_OFFSET + Long.BYTES;
    public static final int LOG_ROOT_OFFSET = CHUNK_ROOT_OFFSET + Long.BYTES;
    private static final int LOG_ROOT_TRANSID_OFFSET = LOG_ROOT_OFFSET + Long.BYTES;
    public static final int TOTAL_BYTES_OFFSET = LOG_ROOT_TRANSID_OFFSET + Long.BYTES;
    public static final int BYTES_USED_OFFSET = TOTAL_BYTES_OFFSET + Long.BYTES;
    private static final int ROOT_DIR_OBJECTID_OFFSET = BYTES_USED_OFFSET + Long.BYTES;
    public static final int NUM_DEVICES_OFFSET = ROOT_DIR_OBJECTID_OFFSET + Long.BYTES;
    public static final int SECTORSIZE_OFFSET = NUM_DEVICES_OFFSET + Long.BYTES;
    public static final int NODESIZE_OFFSET = SECTORSIZE_OFFSET + Integer.BYTES;
    private static final int LEAFSIZE_OFFSET = NODESIZE_OFFSET + Integer.BYTES;
    private static final int STRIPESIZE_OFFSET = LEAFSIZE_OFFSET + Integer.BYTES;
    public static final int SYS_CHUNK_ARRAY_SIZE_OFFSET = STRIPESIZE_OFFSET + Integer.BYTES;
    public static final int CHUNK_ROOT_GENERATION_OFFSET = SYS_CHUNK_ARRAY_SIZE_OFFSET + Integer.BYTES;
    private static final int COMPAT_FLAGS_OFFSET = CHUNK_ROOT_GENERATION_OFFSET + Long.BYTES;
    private static final int COMPAT_RO_FLAGS_OFFSET = COMPAT_FLAGS_OFFSET + Long.BYTES;
    public static final int INCOMPAT_FLAGS_OFFSET = COMPAT_RO_FLAGS_OFFSET + Long.BYTES;
    public static final int CSUM_TYPE_OFFSET = INCOMPAT_FLAGS_OFFSET + Long.BYTES;
    public static final int ROOT_LEVEL_OFFSET = CSUM_TYPE_OFFSET + Short.BYTES;
    public static final int CHUNK_ROOT_LEVEL_OFFSET = ROOT_LEVEL_OFFSET + Byte.BYTES;
    public static final int LOG_ROOT_LEVEL_OFFSET = CHUNK_ROOT_LEVEL_OFFSET + Byte.BYTES;
    public static final int DEV_ITEM_OFFSET = LOG_ROOT_LEVEL_OFFSET + Byte.BYTES;
    public static final int LABEL_OFFSET = DEV_ITEM_OFFSET + DevItem.SIZE;
    public static final int LABEL_SIZE = 256;
    public static final int CACHE_GENERATION_OFFSET = LABEL_OFFSET + LABEL_SIZE;
    private static final int UUID_TREE_GENERATION_OFFSET = CACHE_GENERATION_OFFSET + Long.BYTES;
    public static final int METADATA_UUID_OFFSET = UUID_TREE_GENERATION_OFFSET + Long.BYTES;
    private static final int NR_GLOBAL_ROOTS_OFFSET = METADATA_UUID_OFFSET + FSID_SIZE;
    public static final int REMAP_ROOT_OFFSET = NR_GLOBAL_ROOTS_OFFSET + Long.BYTES;
    private static final int REMAP_ROOT_GENERATION_OFFSET = REMAP_ROOT_OFFSET + Long.BYTES;
    public static final int REMAP_ROOT_LEVEL_OFFSET = REMAP_ROOT_GENERATION_OFFSET + Long.BYTES;
    private static final int RESERVED_OFFSET = REMAP_ROOT_LEVEL_OFFSET + Byte.BYTES;
    private static final int RESERVED_SIZE = 7 + 24 * Long.BYTES;
    public static final int SYS_CHUNK_ARRAY_OFFSET = RESERVED_OFFSET + RESERVED_SIZE;
    public static final int SYS_CHUNK_ARRAY_MAX = 2048;
    public static final int SUPER_ROOTS_OFFSET = SYS_CHUNK_ARRAY_OFFSET + SYS_CHUNK_ARRAY_MAX;
    public static final int SUPER_ROOTS_SIZE = 4 * 168;

    private final byte[] bytes;
    private final ChecksumType checksumType;
    private final List<ChunkItem> systemChunks;

    private Superblock(byte[] bytes, ChecksumType checksumType, List<ChunkItem> systemChunks) {
        this.bytes = bytes;
        this.checksumType = checksumType;
        this.systemChunks = systemChunks;
    }

    /**
     * Parses and validates a superblock read from {@code where} (used in messages). Checks the magic,
     * the checksum with the superblock's own algorithm, the geometry fields that every later size
     * computation relies on, and the sys_chunk_array.
     */
    public static Superblock parse(byte[] raw, String where) throws BtrfsFormatException {
        if (raw.length < SIZE) {
            throw new BtrfsFormatException(where + ": superblock truncated (" + raw.length + " of " + SIZE + " bytes)");
        }
        byte[] b = Arrays.copyOf(raw, SIZE);
        if (!hasMagic(b)) {
            throw new BtrfsFormatException(where + ": not a btrfs filesystem (no superblock magic at offset "
                    + PRIMARY_OFFSET + ")");
        }
        int csumId = u16(b, CSUM_TYPE_OFFSET);
        ChecksumType type = ChecksumType.fromId(csumId);
        if (type == null) {
            throw new BtrfsFormatException(where + ": superblock has unknown checksum type " + csumId);
        }
        if (!type.verify(b, 0, SIZE)) {
            throw new BtrfsFormatException(where + ": superblock checksum mismatch (" + type.displayName() + ")");
        }
        long sectorsize = u32(b, SECTORSIZE_OFFSET);
        long nodesize = u32(b, NODESIZE_OFFSET);
        if (sectorsize < 4096 || sectorsize > 65536 || Long.bitCount(sectorsize) != 1) {
            throw new BtrfsFormatException(where + ": invalid sectorsize " + sectorsize);
        }
        if (nodesize < 4096 || nodesize > 65536 || Long.bitCount(nodesize) != 1 || nodesize < sectorsize) {
            throw new BtrfsFormatException(where + ": invalid nodesize " + nodesize);
        }
        boolean remap = (u64(b, INCOMPAT_FLAGS_OFFSET) & INCOMPAT_REMAP_TREE) != 0;
        int[] levels = {ROOT_LEVEL_OFFSET, CHUNK_ROOT_LEVEL_OFFSET, LOG_ROOT_LEVEL_OFFSET, REMAP_ROOT_LEVEL_OFFSET};
        for (int off : remap ? levels : Arrays.copyOf(levels, 3)) {
            if (u8(b, off) >= TreeBlock.MAX_LEVEL) {
                throw new BtrfsFormatException(where + ": invalid tree level " + u8(b, off) + " in superblock");
            }
        }
        long arraySize = u32(b, SYS_CHUNK_ARRAY_SIZE_OFFSET);
        if (arraySize > SYS_CHUNK_ARRAY_MAX) {
            throw new BtrfsFormatException(where + ": sys_chunk_array_size " + arraySize + " exceeds " + SYS_CHUNK_ARRAY_MAX);
        }
        List<ChunkItem> chunks = parseSysChunkArray(b, (int) arraySize, where);
        return new Superblock(b, type, List.copyOf(chunks));
    }

    private static List<ChunkItem> parseSysChunkArray(byte[] b, int size, String where) throws BtrfsFormatException {
        List<ChunkItem> chunks = new ArrayList<>();
        int pos = 0;
        boolean system = false;
        while (pos < size) {
            if (size - pos < Key.SIZE) {
                throw new BtrfsFormatException(where + ": sys_chunk_array too short for a key at offset " + pos);
            }
            Key key = Key.read(b, SYS_CHUNK_ARRAY_OFFSET + pos);
            if (key.type() != Key.CHUNK_ITEM) {
                throw new BtrfsFormatException(where + ": unexpected item type " + key.type()
                        + " in sys_chunk_array at offset " + pos);
            }
            pos += Key.SIZE;
            ChunkItem chunk = ChunkItem.parse(key.offset(), b, SYS_CHUNK_ARRAY_OFFSET + pos, size - pos,
                    where + ": sys_chunk_array offset " + pos);
            pos += chunk.itemSize();
            system |= (chunk.type() & ChunkItem.TYPE_SYSTEM) != 0;
            chunks.add(chunk);
        }
        if (!system) {
            throw new BtrfsFormatException(where + ": no system chunk in the superblock's sys_chunk_array");
        }
        return chunks;
    }

    /** A copy of the 4096 superblock bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public ChecksumType checksumType() {
        return checksumType;
    }

    public byte[] fsid() {
        return Arrays.copyOfRange(bytes, FSID_OFFSET, FSID_OFFSET + FSID_SIZE);
    }

    /** The fsid that tree block headers carry: metadata_uuid if the METADATA_UUID feature is on. */
    public byte[] metadataFsid() {
        return (incompatFlags() & INCOMPAT_METADATA_UUID) != 0
                ? Arrays.copyOfRange(bytes, METADATA_UUID_OFFSET, METADATA_UUID_OFFSET + FSID_SIZE) : fsid();
    }

    public long flags() {
        return u64(bytes, FLAGS_OFFSET);
    }

    public long generation() {
        return u64(bytes, GENERATION_OFFSET);
    }

    public long root() {
        return u64(bytes, ROOT_OFFSET);
    }

    public long chunkRoot() {
        return u64(bytes, CHUNK_ROOT_OFFSET);
    }

    public long logRoot() {
        return u64(bytes, LOG_ROOT_OFFSET);
    }

    /** The generation of the chunk root block (the chunk tree is only rewritten when chunks change). */
    public long chunkRootGeneration() {
        return u64(bytes, CHUNK_ROOT_GENERATION_OFFSET);
    }

    /**
     * The generation the log tree's blocks carry: the log is written during the transaction after the one
     * this superblock records, so its blocks are one generation newer than the superblock.
     */
    public long logRootGeneration() {
        return generation() + 1;
    }

    public long totalBytes() {
        return u64(bytes, TOTAL_BYTES_OFFSET);
    }

    public long bytesUsed() {
        return u64(bytes, BYTES_USED_OFFSET);
    }

    public long numDevices() {
        return u64(bytes, NUM_DEVICES_OFFSET);
    }

    public int sectorsize() {
        return (int) u32(bytes, SECTORSIZE_OFFSET);
    }

    public int nodesize() {
        return (int) u32(bytes, NODESIZE_OFFSET);
    }

    public long incompatFlags() {
        return u64(bytes, INCOMPAT_FLAGS_OFFSET);
    }

    public int rootLevel() {
        return u8(bytes, ROOT_LEVEL_OFFSET);
    }

    public int chunkRootLevel() {
        return u8(bytes, CHUNK_ROOT_LEVEL_OFFSET);
    }

    public int logRootLevel() {
        return u8(bytes, LOG_ROOT_LEVEL_OFFSET);
    }

    /** Root of the remap tree, or 0 when the filesystem has none (the field is reserved without the feature). */
    public long remapRoot() {
        return (incompatFlags() & INCOMPAT_REMAP_TREE) != 0 ? u64(bytes, REMAP_ROOT_OFFSET) : 0;
    }

    public int remapRootLevel() {
        return u8(bytes, REMAP_ROOT_LEVEL_OFFSET);
    }

    /** devid of the device this superblock was read from (its embedded dev_item). */
    public long devid() {
        return DevItem.devid(bytes, DEV_ITEM_OFFSET);
    }

    public byte[] deviceUuid() {
        return DevItem.uuid(bytes, DEV_ITEM_OFFSET);
    }

    public String label() {
        int end = LABEL_OFFSET;
        while (end < LABEL_OFFSET + LABEL_SIZE && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, LABEL_OFFSET, end - LABEL_OFFSET, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * What changed from {@code before} to {@code now} among the fields that locate the trees (generation,
     * tree, chunk and log roots with their levels, chunk root generation), as "name old -> new",
     * comma-separated; null if nothing did. A filesystem being written changes them at every commit (the
     * log root at every fsync).
     */
    public static String differences(Superblock before, Superblock now) {
        List<String> d = new ArrayList<>();
        field(d, "superblock generation", before.generation(), now.generation());
        field(d, "tree root", before.root(), now.root());
        field(d, "tree root level", before.rootLevel(), now.rootLevel());
        field(d, "chunk root", before.chunkRoot(), now.chunkRoot());
        field(d, "chunk root generation", before.chunkRootGeneration(), now.chunkRootGeneration());
        field(d, "chunk root level", before.chunkRootLevel(), now.chunkRootLevel());
        field(d, "log root", before.logRoot(), now.logRoot());
        field(d, "log root level", before.logRootLevel(), now.logRootLevel());
        return d.isEmpty() ? null : String.join(", ", d);
    }

    private static void field(List<String> out, String name, long before, long now) {
        if (before != now) {
            out.add(name + " " + Long.toUnsignedString(before) + " -> " + Long.toUnsignedString(now));
        }
    }

    /** Chunks of the sys_chunk_array: enough to map the chunk tree. */
    public List<ChunkItem> systemChunks() {
        return systemChunks;
    }

    // ----------------------------------------------------------------- superblock bytes being written

    /*
     * Setters on a superblock held as bytes (a restore's, a repaired mirror). They do not validate, and the caller
     * recomputes the checksum when done ({@link ChecksumType#store}).
     */

    /**
     * Whether the raw superblock bytes {@code b} (at least up to the magic) carry btrfs's magic and the fsid
     * {@code fsid}: a device of that filesystem, whatever else it holds.
     */
    public static boolean belongsTo(byte[] b, byte[] fsid) {
        return hasMagic(b) && Arrays.equals(b, FSID_OFFSET, FSID_OFFSET + FSID_SIZE, fsid, 0, fsid.length);
    }

    /** Whether the raw superblock bytes {@code b} (at least up to the magic) carry btrfs's magic. */
    public static boolean hasMagic(byte[] b) {
        return b.length >= IDENTITY_BYTES && u64(b, MAGIC_OFFSET) == MAGIC;
    }

    /** Bytes of a superblock that {@link #belongsTo} and {@link #hasMagic} read. */
    public static final int IDENTITY_BYTES = MAGIC_OFFSET + Long.BYTES;

    /** The flags field of superblock bytes {@code b}. */
    public static long flags(byte[] b) {
        return u64(b, FLAGS_OFFSET);
    }

    public static void setFlags(byte[] b, long flags) {
        LittleEndian.put64(b, FLAGS_OFFSET, flags);
    }

    /** The checksum type superblock bytes {@code b} declare, or null if btrfs knows no such type. */
    public static ChecksumType checksumType(byte[] b) {
        return ChecksumType.fromId(u16(b, CSUM_TYPE_OFFSET));
    }

    /** Where this copy says it lives: {@link #PRIMARY_OFFSET} or a mirror's offset. */
    public static void setBytenr(byte[] b, long bytenr) {
        LittleEndian.put64(b, BYTENR_OFFSET, bytenr);
    }

    public static void setTotalBytes(byte[] b, long totalBytes) {
        LittleEndian.put64(b, TOTAL_BYTES_OFFSET, totalBytes);
    }

    public static void setNumDevices(byte[] b, long numDevices) {
        LittleEndian.put64(b, NUM_DEVICES_OFFSET, numDevices);
    }

    /** The v1 space cache is valid when this equals the generation; 0 makes the kernel rebuild it. */
    public static void setCacheGeneration(byte[] b, long generation) {
        LittleEndian.put64(b, CACHE_GENERATION_OFFSET, generation);
    }

    /** Replaces the embedded dev_item with the {@link DevItem#SIZE} bytes at {@code devItem[0..]}. */
    public static void setDevItem(byte[] b, byte[] devItem) {
        System.arraycopy(devItem, 0, b, DEV_ITEM_OFFSET, DevItem.SIZE);
    }

    /** Zeroes the label. */
    public static void clearLabel(byte[] b) {
        Arrays.fill(b, LABEL_OFFSET, LABEL_OFFSET + LABEL_SIZE, (byte) 0);
    }

    /**
     * Replaces the sys_chunk_array with {@code array[0..size)} (key and chunk item pairs), zeroes the rest of
     * its {@link #SYS_CHUNK_ARRAY_MAX} bytes and sets sys_chunk_array_size.
     */
    public static void setSysChunkArray(byte[] b, byte[] array, int size) {
        if (size > SYS_CHUNK_ARRAY_MAX) {
            throw new IllegalArgumentException("sys_chunk_array of " + size + " bytes");
        }
        System.arraycopy(array, 0, b, SYS_CHUNK_ARRAY_OFFSET, size);
        Arrays.fill(b, SYS_CHUNK_ARRAY_OFFSET + size, SYS_CHUNK_ARRAY_OFFSET + SYS_CHUNK_ARRAY_MAX, (byte) 0);
        LittleEndian.put32(b, SYS_CHUNK_ARRAY_SIZE_OFFSET, size);
    }
}
