package io.sparkbtrfs.format;

import static io.sparkbtrfs.format.LittleEndian.u16;
import static io.sparkbtrfs.format.LittleEndian.u32;
import static io.sparkbtrfs.format.LittleEndian.u64;
import static io.sparkbtrfs.format.LittleEndian.u8;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A validated, immutable copy of a btrfs superblock (4096 bytes at physical 65536 of every device).
 *
 * <p>Fields used (offsets in bytes): csum 0 (32), fsid 32 (16), bytenr 48, flags 56, magic 64,
 * generation 72, root 80, chunk_root 88, log_root 96, total_bytes 112, bytes_used 120, num_devices 136,
 * sectorsize 144 (u32), nodesize 148 (u32), stripesize 156 (u32), sys_chunk_array_size 160 (u32),
 * chunk_root_generation 164, incompat_flags 188, csum_type 196 (u16), root_level 198, chunk_root_level 199, log_root_level 200,
 * dev_item 201 (98: devid @0, uuid @66, fsid @82), label 299 (256), metadata_uuid 571 (16),
 * remap_root 595, remap_root_level 611 (with the REMAP_TREE feature), sys_chunk_array 811 (2048).
 */
public final class Superblock {
    /** The label: NUL-terminated, at most {@link #LABEL_SIZE} bytes. */
    public static final int LABEL_OFFSET = 299;
    public static final int LABEL_SIZE = 256;
    public static final long PRIMARY_OFFSET = 65536;
    public static final int SIZE = 4096;
    public static final long MAGIC = 0x4D5F53665248425FL; // "_BHRfS_M"
    public static final long INCOMPAT_METADATA_UUID = 0x400;
    /** btrfs-progs 6.19's experimental remap tree: its root is named here, its blocks are not in the extent tree. */
    public static final long INCOMPAT_REMAP_TREE = 1L << 17;
    private static final int REMAP_ROOT_OFFSET = 595;
    private static final int REMAP_ROOT_LEVEL_OFFSET = 611;
    private static final int SYS_CHUNK_ARRAY_OFFSET = 811;
    private static final int SYS_CHUNK_ARRAY_MAX = 2048;
    private static final int DEV_ITEM_OFFSET = 201;

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
        if (u64(b, 64) != MAGIC) {
            throw new BtrfsFormatException(where + ": not a btrfs filesystem (no superblock magic at offset "
                    + PRIMARY_OFFSET + ")");
        }
        int csumId = u16(b, 196);
        ChecksumType type = ChecksumType.fromId(csumId);
        if (type == null) {
            throw new BtrfsFormatException(where + ": superblock has unknown checksum type " + csumId);
        }
        if (!type.verify(b, 0, SIZE)) {
            throw new BtrfsFormatException(where + ": superblock checksum mismatch (" + type.displayName() + ")");
        }
        long sectorsize = u32(b, 144);
        long nodesize = u32(b, 148);
        if (sectorsize < 4096 || sectorsize > 65536 || Long.bitCount(sectorsize) != 1) {
            throw new BtrfsFormatException(where + ": invalid sectorsize " + sectorsize);
        }
        if (nodesize < 4096 || nodesize > 65536 || Long.bitCount(nodesize) != 1 || nodesize < sectorsize) {
            throw new BtrfsFormatException(where + ": invalid nodesize " + nodesize);
        }
        boolean remap = (u64(b, 188) & INCOMPAT_REMAP_TREE) != 0;
        for (int off : remap ? new int[] {198, 199, 200, REMAP_ROOT_LEVEL_OFFSET} : new int[] {198, 199, 200}) {
            if (u8(b, off) >= TreeBlock.MAX_LEVEL) {
                throw new BtrfsFormatException(where + ": invalid tree level " + u8(b, off) + " in superblock");
            }
        }
        long arraySize = u32(b, 160);
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
        return Arrays.copyOfRange(bytes, 32, 48);
    }

    /** The fsid that tree block headers carry: metadata_uuid if the METADATA_UUID feature is on. */
    public byte[] metadataFsid() {
        return (incompatFlags() & INCOMPAT_METADATA_UUID) != 0 ? Arrays.copyOfRange(bytes, 571, 587) : fsid();
    }

    public long flags() {
        return u64(bytes, 56);
    }

    public long generation() {
        return u64(bytes, 72);
    }

    public long root() {
        return u64(bytes, 80);
    }

    public long chunkRoot() {
        return u64(bytes, 88);
    }

    public long logRoot() {
        return u64(bytes, 96);
    }

    /** The generation of the chunk root block (the chunk tree is only rewritten when chunks change). */
    public long chunkRootGeneration() {
        return u64(bytes, 164);
    }

    /**
     * The generation the log tree's blocks carry: the log is written during the transaction after the one
     * this superblock records, so its blocks are one generation newer than the superblock.
     */
    public long logRootGeneration() {
        return generation() + 1;
    }

    public long totalBytes() {
        return u64(bytes, 112);
    }

    public long bytesUsed() {
        return u64(bytes, 120);
    }

    public long numDevices() {
        return u64(bytes, 136);
    }

    public int sectorsize() {
        return (int) u32(bytes, 144);
    }

    public int nodesize() {
        return (int) u32(bytes, 148);
    }

    public long incompatFlags() {
        return u64(bytes, 188);
    }

    public int rootLevel() {
        return u8(bytes, 198);
    }

    public int chunkRootLevel() {
        return u8(bytes, 199);
    }

    public int logRootLevel() {
        return u8(bytes, 200);
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
        return u64(bytes, DEV_ITEM_OFFSET);
    }

    public byte[] deviceUuid() {
        return Arrays.copyOfRange(bytes, DEV_ITEM_OFFSET + 66, DEV_ITEM_OFFSET + 82);
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
}
