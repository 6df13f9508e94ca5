package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Superblock parsing: a real superblock made by mkfs.btrfs is accepted and read as btrfs-progs reads it; hostile
 * variants (each with a freshly stored, valid CRC-32C so that the intended check is the one that fails) are rejected
 * with a message that names the problem.
 */
class SuperblockTest {
    private static final String WHERE = "unit.img";
    private static final int SYS_ARRAY = 811;
    /** First sys_chunk_array entry: key at 811, chunk item at 828. */
    private static final int KEY_TYPE = SYS_ARRAY + 8;
    private static final int CHUNK = SYS_ARRAY + Key.SIZE;

    @TempDir
    static Path dir;
    static Path image;
    static byte[] valid;

    @BeforeAll
    static void mkfs() throws IOException {
        Assumptions.assumeTrue(Proc.onPath("mkfs.btrfs") && Proc.onPath("btrfs"), "btrfs-progs not installed");
        image = Mkfs.image(dir.resolve("sb.img")).size(128L << 20).extraArgs("-b", "128M").label("unit-sb").run();
        valid = new byte[Superblock.SIZE];
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            f.seek(Superblock.PRIMARY_OFFSET);
            f.readFully(valid);
        }
    }

    private static String uuid(byte[] b) {
        String h = HexFormat.of().formatHex(b);
        return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
                + "-" + h.substring(20);
    }

    private static long field(Map<String, String> m, String key) {
        String v = m.get(key);
        assertTrue(v != null, "dump-super has no field " + key + ": " + m.keySet());
        return Long.parseUnsignedLong(v.split("\\s+")[0]);
    }

    @Test
    void realSuperblockMatchesDumpSuper() throws BtrfsFormatException {
        Superblock sb = Superblock.parse(valid, WHERE);
        Map<String, String> ref = RefTool.superFields(image);

        assertEquals(field(ref, "generation"), sb.generation());
        assertEquals(field(ref, "root"), sb.root());
        assertEquals(field(ref, "chunk_root"), sb.chunkRoot());
        assertEquals(field(ref, "log_root"), sb.logRoot());
        assertEquals(field(ref, "total_bytes"), sb.totalBytes());
        assertEquals(134217728L, sb.totalBytes());
        assertEquals(field(ref, "bytes_used"), sb.bytesUsed());
        assertEquals(field(ref, "num_devices"), sb.numDevices());
        assertEquals(field(ref, "sectorsize"), sb.sectorsize());
        assertEquals(field(ref, "nodesize"), sb.nodesize());
        assertEquals(field(ref, "root_level"), sb.rootLevel());
        assertEquals(field(ref, "chunk_root_level"), sb.chunkRootLevel());
        assertEquals(field(ref, "log_root_level"), sb.logRootLevel());
        assertEquals(field(ref, "dev_item.devid"), sb.devid());
        assertEquals(Long.decode(ref.get("flags")), sb.flags());
        assertEquals(Long.decode(ref.get("incompat_flags")), sb.incompatFlags());
        assertEquals("0 (crc32c)", ref.get("csum_type"));
        assertSame(ChecksumType.CRC32C, sb.checksumType());
        assertEquals(ref.get("fsid"), uuid(sb.fsid()));
        assertEquals(ref.get("metadata_uuid"), uuid(sb.metadataFsid()));
        assertEquals(ref.get("dev_item.uuid"), uuid(sb.deviceUuid()));
        assertEquals("unit-sb", sb.label());
        assertEquals(ref.get("label"), sb.label());

        // The sys_chunk_array as dump-super -f prints it.
        String full = RefTool.dumpSuper(image, "-f").requireOk().stdout();
        List<long[]> refChunks = new ArrayList<>();
        Matcher m = Pattern.compile("key \\(FIRST_CHUNK_TREE CHUNK_ITEM (\\d+)\\)\\s+length (\\d+) owner \\d+ "
                + "stripe_len (\\d+) type (\\S+)").matcher(full.substring(full.indexOf("sys_chunk_array"),
                full.indexOf("backup_roots")));
        while (m.find()) {
            refChunks.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                m.group(4).contains("SYSTEM") ? 1 : 0});
        }
        assertEquals(refChunks.size(), sb.systemChunks().size(), full);
        for (int i = 0; i < refChunks.size(); i++) {
            ChunkItem c = sb.systemChunks().get(i);
            assertEquals(refChunks.get(i)[0], c.start());
            assertEquals(refChunks.get(i)[1], c.length());
            assertEquals(refChunks.get(i)[2], c.stripeLen());
            assertEquals(refChunks.get(i)[3] == 1, (c.type() & ChunkItem.TYPE_SYSTEM) != 0);
        }
        Matcher st = Pattern.compile("stripe (\\d+) devid (\\d+) offset (\\d+)").matcher(full);
        ChunkItem first = sb.systemChunks().get(0);
        int stripes = 0;
        while (st.find() && stripes < first.numStripes()) {
            int k = Integer.parseInt(st.group(1));
            assertEquals(Long.parseLong(st.group(2)), first.devid(k));
            assertEquals(Long.parseLong(st.group(3)), first.offset(k));
            stripes++;
        }
        assertEquals(first.numStripes(), stripes);
        // mkfs's default single-device profile for the system chunk is DUP: the logical start is mapped twice.
        assertEquals(ChunkItem.DUP, first.type() & ChunkItem.DUP);
        assertEquals(2, first.copies());
        assertTrue(first.contains(sb.chunkRoot()), "chunk root lies in the first system chunk");
    }

    /**
     * The setters write where btrfs-progs reads: every field a restore writes, set to a value mkfs did not write,
     * read back by {@code dump-super -f} from a superblock written with them.
     */
    @Test
    void settersWriteWhereBtrfsProgsReads() throws IOException, BtrfsFormatException {
        Superblock sb = Superblock.parse(valid, WHERE);
        ChunkItem first = sb.systemChunks().get(0);
        byte[] b = valid.clone();
        Superblock.setBytenr(b, Superblock.MIRROR_OFFSETS.get(0));
        Superblock.setFlags(b, Superblock.flags(b) | Superblock.FLAG_METADUMP_V2);
        Superblock.setTotalBytes(b, 3L << 30);
        Superblock.setNumDevices(b, 7);
        Superblock.setCacheGeneration(b, 4242);
        Superblock.clearLabel(b);
        DevItem.setTotalBytes(b, Superblock.DEV_ITEM_OFFSET, 5L << 30);
        DevItem.setBytesUsed(b, Superblock.DEV_ITEM_OFFSET, 12345L << 12);
        byte[] array = new byte[Key.SIZE + ChunkItem.itemSize(1)];
        new Key(ChunkItem.KEY_OBJECTID, Key.CHUNK_ITEM, first.start()).write(array, 0);
        ChunkItem.setHeader(array, Key.SIZE, first.length(), ChunkItem.STRIPE_LEN, ChunkItem.TYPE_SYSTEM, 8192);
        ChunkItem.setStripeCounts(array, Key.SIZE, 1, 0);
        ChunkItem.setStripe(array, Key.SIZE, 0, sb.devid(), 777L << 20, sb.deviceUuid());
        Superblock.setSysChunkArray(b, array, array.length);
        Superblock.checksumType(b).store(b, 0, Superblock.SIZE);

        Path file = dir.resolve("setters.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(0);
            f.seek(Superblock.PRIMARY_OFFSET);
            f.write(b);
        }
        String out = RefTool.dumpSuper(file, "-f").requireOk().stdout();
        Map<String, String> ref = RefTool.parseSuper(out);
        assertTrue(ref.get("csum").endsWith("[match]"), ref.get("csum"));
        assertEquals(Superblock.MIRROR_OFFSETS.get(0), field(ref, "bytenr"));
        assertEquals(sb.flags() | Superblock.FLAG_METADUMP_V2, Long.decode(ref.get("flags").split("\\s+")[0]));
        assertEquals(3L << 30, field(ref, "total_bytes"));
        assertEquals(7, field(ref, "num_devices"));
        assertEquals(4242, field(ref, "cache_generation"));
        assertEquals("", ref.getOrDefault("label", ""));
        assertEquals(5L << 30, field(ref, "dev_item.total_bytes"));
        assertEquals(12345L << 12, field(ref, "dev_item.bytes_used"));
        assertEquals(sb.devid(), field(ref, "dev_item.devid"));
        assertEquals(array.length, field(ref, "sys_array_size"));
        String sys = out.substring(out.indexOf("sys_chunk_array"), out.indexOf("backup_roots"));
        assertTrue(sys.contains("item 0 key (FIRST_CHUNK_TREE CHUNK_ITEM " + first.start() + ")"), sys);
        // btrfs-progs names the profile of a single-stripe chunk "single" (older releases print no profile)
        assertTrue(Pattern.compile("length " + first.length() + " owner 2 stripe_len 65536 type SYSTEM(\\|single)?\n")
                .matcher(sys).find(), sys);
        assertTrue(sys.contains("io_align 8192 io_width 8192 sector_size 8192"), sys);
        assertTrue(sys.contains("num_stripes 1 sub_stripes 0"), sys);
        assertTrue(sys.contains("stripe 0 devid " + sb.devid() + " offset " + (777L << 20)), sys);
        assertTrue(sys.contains("dev_uuid " + uuid(sb.deviceUuid())), sys);
        assertTrue(!sys.contains("item 1 "), sys);

        Superblock back = Superblock.parse(b, WHERE);
        assertEquals(List.of(new ChunkItem(first.start(), first.length(), ChunkItem.STRIPE_LEN, ChunkItem.TYPE_SYSTEM, 0,
                new long[] {sb.devid()}, new long[] {777L << 20})), back.systemChunks());
        assertEquals("", back.label());
        assertSame(sb.checksumType(), Superblock.checksumType(b));
    }

    @Test
    void parseCopiesAndIgnoresBytesAfterTheSuperblock() throws BtrfsFormatException {
        byte[] longer = Arrays.copyOf(valid, 8192);
        Arrays.fill(longer, 4096, 8192, (byte) 0x77);
        Superblock sb = Superblock.parse(longer, WHERE);
        assertArrayEquals(valid, sb.bytes());
        byte[] copy = sb.bytes();
        assertNotSame(copy, sb.bytes());
        copy[0] ^= 1; // mutating a copy does not change the superblock
        assertArrayEquals(valid, sb.bytes());
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void acceptsEveryChecksumTypeWithItsOwnChecksum(ChecksumType t) throws BtrfsFormatException {
        byte[] b = valid.clone();
        b[196] = (byte) t.id();
        b[197] = 0;
        Arrays.fill(b, 0, 32, (byte) 0);
        t.store(b, 0, Superblock.SIZE);
        assertSame(t, Superblock.parse(b, WHERE).checksumType());
    }

    // ---- hostile variants -------------------------------------------------------------------------------------

    /** A copy of the valid superblock with {@code edit} applied and a correct CRC-32C stored afterwards. */
    private static byte[] variant(Consumer<byte[]> edit) {
        byte[] b = valid.clone();
        edit.accept(b);
        ChecksumType.CRC32C.store(b, 0, Superblock.SIZE);
        return b;
    }

    private static void rejected(byte[] b, String... expectedInMessage) {
        BtrfsFormatException e = assertThrows(BtrfsFormatException.class, () -> Superblock.parse(b, WHERE));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(WHERE), "message names the source: " + msg);
        for (String s : expectedInMessage) {
            assertTrue(msg.toLowerCase(Locale.ROOT).contains(s.toLowerCase(Locale.ROOT)),
                    "message \"" + msg + "\" should contain \"" + s + "\"");
        }
    }

    @Test
    void wrongMagic() {
        rejected(variant(b -> b[64] = 'X'), "magic");
    }

    @Test
    void badChecksum() {
        byte[] b = valid.clone();
        b[1000] ^= 1;
        rejected(b, "checksum mismatch", "crc32c");
        byte[] c = valid.clone();
        c[0] ^= 1;
        rejected(c, "checksum mismatch");
    }

    @Test
    void unknownChecksumType() {
        rejected(variant(b -> b[196] = 7), "unknown checksum type 7");
        rejected(variant(b -> {
            b[196] = 0;
            b[197] = 1;
        }), "unknown checksum type 256");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3000, 2048, 8192 + 4096, 131072})
    void badNodesize(int nodesize) {
        rejected(variant(b -> LittleEndian.put32(b, 148, nodesize)), "nodesize " + nodesize);
    }

    @Test
    void nodesizeSmallerThanSectorsize() {
        rejected(variant(b -> {
            LittleEndian.put32(b, 144, 65536);
            LittleEndian.put32(b, 148, 16384);
        }), "nodesize 16384");
    }

    @ParameterizedTest
    @ValueSource(ints = {1000, 0, 2048, 131072})
    void badSectorsize(int sectorsize) {
        rejected(variant(b -> LittleEndian.put32(b, 144, sectorsize)), "sectorsize " + sectorsize);
    }

    @ParameterizedTest
    @ValueSource(ints = {198, 199, 200})
    void treeLevelTooHigh(int offset) {
        rejected(variant(b -> b[offset] = 8), "level 8");
    }

    @Test
    void sysChunkArraySizeTooLarge() {
        rejected(variant(b -> LittleEndian.put32(b, 160, 4000)), "sys_chunk_array_size 4000");
        rejected(variant(b -> LittleEndian.put32(b, 160, 0xFFFFFFFFL)), "sys_chunk_array_size 4294967295");
    }

    @Test
    void sysChunkArrayWithNonChunkKey() {
        rejected(variant(b -> b[KEY_TYPE] = (byte) 216), "item type 216", "sys_chunk_array");
    }

    @Test
    void chunkWithoutStripes() {
        rejected(variant(b -> {
            b[CHUNK + 44] = 0;
            b[CHUNK + 45] = 0;
        }), "no stripes");
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 100, 65535})
    void moreStripesThanTheArrayHolds(int stripes) {
        rejected(variant(b -> {
            b[CHUNK + 44] = (byte) stripes;
            b[CHUNK + 45] = (byte) (stripes >> 8);
        }), "claims " + stripes + " stripes");
    }

    @Test
    void noSystemChunk() {
        rejected(variant(b -> {
            long type = LittleEndian.u64(b, CHUNK + 24);
            LittleEndian.put64(b, CHUNK + 24, (type & ~ChunkItem.TYPE_SYSTEM) | ChunkItem.TYPE_METADATA);
        }), "no system chunk");
        rejected(variant(b -> LittleEndian.put32(b, 160, 0)), "no system chunk");
    }

    @Test
    void sysChunkArrayCutInsideAnEntry() {
        rejected(variant(b -> LittleEndian.put32(b, 160, 10)), "too short for a key");
        rejected(variant(b -> LittleEndian.put32(b, 160, Key.SIZE + 20)), "truncated");
        rejected(variant(b -> LittleEndian.put32(b, 160, Key.SIZE + 48 + 32)), "claims 2 stripes");
    }

    @Test
    void invalidChunkGeometryInTheArray() {
        rejected(variant(b -> LittleEndian.put64(b, CHUNK + 16, 0)), "stripe length 0");
        rejected(variant(b -> LittleEndian.put64(b, CHUNK, 0)), "invalid length 0");
    }

    @Test
    void tooShortInput() {
        rejected(Arrays.copyOf(valid, Superblock.SIZE - 1), "truncated");
        rejected(new byte[0], "truncated");
    }
}
