package io.sparkbtrfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.testing.Fast;

/**
 * The metadump container (spec §2.1–2.4, 2.10): ClusterWriter output read back by ImageReader, the persistent
 * index buffer, and hostile images.
 */
@Fast
class ImageFormatTest {
    private static final long V0 = MetadumpFormat.MAGIC_V0;

    /** One cluster's items (content, before compression). */
    private record Items(long[] bytenrs, byte[][] contents) {
        int size() {
            return bytenrs.length;
        }
    }

    private static Items items(Random r, int n, int maxSize) {
        long[] bytenrs = new long[n];
        byte[][] contents = new byte[n][];
        for (int i = 0; i < n; i++) {
            bytenrs[i] = r.nextLong();
            contents[i] = new byte[1 + r.nextInt(maxSize)];
            // compressible but not trivial
            for (int j = 0; j < contents[i].length; j += 1 + r.nextInt(64)) {
                contents[i][j] = (byte) r.nextInt();
            }
        }
        return new Items(bytenrs, contents);
    }

    /** Writes clusters and returns the image bytes; {@code starts} receives each cluster's offset. */
    private static byte[] write(List<Items> clusters, int compress, long magic, List<Long> starts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ClusterWriter w = new ClusterWriter(out, magic, compress, 0);
        Deflater d = new Deflater();
        try {
            for (Items c : clusters) {
                byte[][] payloads = new byte[c.size()][];
                for (int i = 0; i < c.size(); i++) {
                    payloads[i] = compress == MetadumpFormat.COMPRESS_ZLIB ? ZlibCodec.compress(c.contents[i], 9, d)
                            : c.contents[i];
                }
                long start = w.write(c.bytenrs, payloads, c.size());
                if (starts != null) {
                    starts.add(start);
                }
                assertEquals(out.size(), w.offset());
                assertEquals(0, w.offset() % 1024);
            }
        } finally {
            d.end();
        }
        return out.toByteArray();
    }

    private static List<ImageReader.Cluster> readAll(byte[] image) throws IOException, ImageFormatException {
        ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img");
        List<ImageReader.Cluster> all = new ArrayList<>();
        for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
            all.add(c);
        }
        assertNull(r.next(), "stays at the end");
        return all;
    }

    private void roundTrip(int compress) throws Exception {
        Random rnd = new Random(compress);
        List<Items> clusters = List.of(items(rnd, 83, 70000), items(rnd, 83, 3000), items(rnd, 1, 1),
                items(rnd, 40, 20000));
        List<Long> starts = new ArrayList<>();
        byte[] image = write(clusters, compress, V0, starts);
        assertEquals(0, image.length % 1024);

        List<ImageReader.Cluster> read = readAll(image);
        assertEquals(clusters.size(), read.size());
        long expectOffset = 0;
        for (int k = 0; k < clusters.size(); k++) {
            ImageReader.Cluster c = read.get(k);
            Items want = clusters.get(k);
            assertEquals(starts.get(k), c.offset());
            assertEquals(expectOffset, c.offset(), "cluster " + k);
            assertEquals(0, c.offset() % 1024);
            assertEquals(compress, c.compress());
            assertEquals(want.size(), c.size());
            assertArrayEquals(want.bytenrs, c.bytenrs());
            assertArrayEquals(Arrays.copyOfRange(image, (int) c.offset(), (int) c.offset() + 1024), c.index());
            long stored = 0;
            for (int i = 0; i < c.size(); i++) {
                assertArrayEquals(want.contents[i], c.content(i, 1 << 20), "cluster " + k + " item " + i);
                assertEquals(LittleEndian.u32(c.index(), 29 + 12 * i), c.payloads()[i].length);
                stored += c.payloads()[i].length;
                if (compress == MetadumpFormat.COMPRESS_ZLIB) {
                    assertEquals(0x78, c.payloads()[i][0] & 0xFF);
                    assertEquals(0xDA, c.payloads()[i][1] & 0xFF, "level 9 zlib header");
                }
            }
            long end = c.offset() + 1024 + stored;
            expectOffset = MetadumpFormat.alignUp(end);
            for (long p = end; p < expectOffset; p++) {
                assertEquals(0, image[(int) p], "padding byte " + p);
            }
        }
        assertEquals(expectOffset, image.length, "the image ends right after the last cluster's padding");
    }

    @Test
    void rawRoundTrip() throws Exception {
        roundTrip(MetadumpFormat.COMPRESS_NONE);
    }

    @Test
    void zlibRoundTrip() throws Exception {
        roundTrip(MetadumpFormat.COMPRESS_ZLIB);
    }

    @Test
    void v1MagicRoundTrip() throws Exception {
        byte[] image = write(List.of(items(new Random(3), 5, 100)), 0, MetadumpFormat.MAGIC_V1, null);
        ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img");
        assertEquals(5, r.next().size());
        assertEquals(MetadumpFormat.MAGIC_V1, r.magic());
        assertEquals("_DUmP_v1", new String(image, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void alignmentPaddingAndHeaderLayout() throws Exception {
        // 1024 + 1000 -> 2048; next cluster: 1024 + 1024 exactly, no pad -> 4096; then 1024 + 1 -> 6144
        Items a = new Items(new long[] {65536}, new byte[][] {new byte[1000]});
        Items b = new Items(new long[] {7, 8}, new byte[][] {new byte[1000], new byte[24]});
        Items c = new Items(new long[] {-1L}, new byte[][] {{42}});
        List<Long> starts = new ArrayList<>();
        byte[] image = write(List.of(a, b, c), 0, V0, starts);
        assertEquals(List.of(0L, 2048L, 4096L), starts);
        assertEquals(6144, image.length);
        // v0 magic bytes 8b 66 95 72 e2 25 5c bd
        assertArrayEquals(new byte[] {(byte) 0x8b, 0x66, (byte) 0x95, 0x72, (byte) 0xe2, 0x25, 0x5c, (byte) 0xbd},
                Arrays.copyOf(image, 8));
        assertEquals(0, LittleEndian.u64(image, 8));
        assertEquals(1, LittleEndian.u32(image, 16));
        assertEquals(65536, LittleEndian.u64(image, 21));
        assertEquals(1000, LittleEndian.u32(image, 29));
        assertEquals(2048, LittleEndian.u64(image, 2048 + 8));
        assertEquals(2, LittleEndian.u32(image, 2048 + 16));
        assertEquals(4096, LittleEndian.u64(image, 4096 + 8));
        assertEquals(-1L, LittleEndian.u64(image, 4096 + 21));
        assertEquals(42, image[4096 + 1024]);
    }

    @Test
    void persistentIndexBufferKeepsStaleEntries() throws Exception {
        Random rnd = new Random(9);
        Items full = items(rnd, 83, 10);
        Items small = items(rnd, 5, 10);
        List<Long> starts = new ArrayList<>();
        byte[] image = write(List.of(full, small), 0, V0, starts);
        int first = 0;
        int second = (int) (long) starts.get(1);
        int tail = 21 + 12 * 5;
        assertArrayEquals(Arrays.copyOfRange(image, first + tail, first + 1017),
                Arrays.copyOfRange(image, second + tail, second + 1017),
                "bytes 21+12*5..1016 of the second index are the first's entries");
        for (int i = 1017; i < 1024; i++) {
            assertEquals(0, image[first + i], "first index byte " + i);
            assertEquals(0, image[second + i], "second index byte " + i);
        }
        // the second cluster's own entries
        for (int i = 0; i < 5; i++) {
            assertEquals(small.bytenrs[i], LittleEndian.u64(image, second + 21 + 12 * i));
        }
        // and the reader ignores the stale bytes
        List<ImageReader.Cluster> read = readAll(image);
        assertEquals(5, read.get(1).size());
        assertArrayEquals(small.bytenrs, read.get(1).bytenrs());
    }

    @Test
    void firstClusterUnusedTailIsZero() throws Exception {
        byte[] image = write(List.of(items(new Random(1), 5, 10)), 0, V0, null);
        for (int i = 21 + 12 * 5; i < 1024; i++) {
            assertEquals(0, image[i], "index byte " + i);
        }
        byte[] fullImage = write(List.of(items(new Random(1), 83, 10)), 0, V0, null);
        for (int i = 21 + 12 * 83; i < 1024; i++) {
            assertEquals(0, fullImage[i], "index byte " + i);
        }
    }

    @Test
    void writerRejectsMoreThan83Items() {
        ClusterWriter w = new ClusterWriter(new ByteArrayOutputStream(), V0, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> w.write(new long[84], new byte[84][0], 84));
    }

    @Test
    void writerWithStartOffsetWritesAbsoluteOffsets() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ClusterWriter w = new ClusterWriter(out, V0, 0, 5120);
        assertEquals(5120, w.write(new long[] {1}, new byte[][] {new byte[10]}, 1));
        assertEquals(5120 + 2048, w.offset());
        assertEquals(5120, LittleEndian.u64(out.toByteArray(), 8));
    }

    // ---- hostile images ------------------------------------------------------------------------------------------

    /** Three raw clusters of 3, 2 and 1 items; cluster offsets 0, 2048, 4096 (each payload 100 bytes). */
    private static byte[] threeClusters() throws IOException {
        Random rnd = new Random(5);
        List<Items> clusters = new ArrayList<>();
        for (int n = 3; n >= 1; n--) {
            byte[][] c = new byte[n][];
            long[] b = new long[n];
            for (int i = 0; i < n; i++) {
                c[i] = new byte[100];
                rnd.nextBytes(c[i]);
                b[i] = 1 << 20 + i;
            }
            clusters.add(new Items(b, c));
        }
        byte[] image = write(clusters, 0, V0, null);
        assertEquals(6144, image.length);
        return image;
    }

    private static ImageFormatException rejected(byte[] image, String... expected) {
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> readAll(image));
        for (String s : expected) {
            assertTrue(e.getMessage().contains(s), "\"" + e.getMessage() + "\" should contain \"" + s + "\"");
        }
        return e;
    }

    @Test
    void wrongMagicAtZero() throws IOException {
        byte[] image = threeClusters();
        image[3] ^= 1;
        rejected(image, "offset 0");
        rejected(new byte[1024], "offset 0");
        rejected(new byte[100], "not a metadump image");
        rejected(new byte[0], "not a metadump image");
    }

    @Test
    void wrongMagicInALaterCluster() throws IOException {
        byte[] image = threeClusters();
        image[2048] ^= 1;
        rejected(image, "offset 2048", "magic");
        byte[] other = threeClusters();
        LittleEndian.put64(other, 4096, MetadumpFormat.MAGIC_V1); // a known magic, but not this image's
        rejected(other, "offset 4096", "magic");
    }

    @Test
    void bytenrFieldNotEqualToOffset() throws IOException {
        byte[] image = threeClusters();
        LittleEndian.put64(image, 2048 + 8, 3072);
        rejected(image, "offset 2048", "3072");
        byte[] first = threeClusters();
        LittleEndian.put64(first, 8, 1024);
        rejected(first, "offset 0");
    }

    @Test
    void tooManyItems() throws IOException {
        byte[] image = threeClusters();
        LittleEndian.put32(image, 2048 + 16, 84);
        rejected(image, "offset 2048", "84 items");
        byte[] huge = threeClusters();
        LittleEndian.put32(huge, 16, 0xFFFFFFFFL);
        rejected(huge, "offset 0", "4294967295 items");
    }

    @Test
    void hugeItemSizeFailsFast(@TempDir Path dir) throws Exception {
        byte[] image = threeClusters();
        LittleEndian.put32(image, 2048 + 21 + 12 + 8, 0xFFFFFFFFL); // item 1 of cluster 2048
        Path file = dir.resolve("huge.img");
        Files.write(file, Arrays.copyOf(image, 4096)); // a short file
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            rejected(image, "offset 2048");
            try (InputStream in = Files.newInputStream(file)) {
                ImageReader r = new ImageReader(in, "huge.img");
                r.next();
                ImageFormatException e = assertThrows(ImageFormatException.class, r::next);
                assertTrue(e.getMessage().contains("offset 2048"), e.getMessage());
            }
        });
    }

    @Test
    void largeButAllowedItemSizeInAShortFileFailsFast(@TempDir Path dir) throws Exception {
        // 200 MiB is within the v0 item limit: the reader must notice the end of file, not allocate 200 MiB first.
        byte[] image = threeClusters();
        LittleEndian.put32(image, 2048 + 21 + 8, 200L << 20);
        Path file = dir.resolve("short.img");
        Files.write(file, image);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            try (InputStream in = Files.newInputStream(file)) {
                ImageReader r = new ImageReader(in, "short.img");
                r.next();
                ImageFormatException e = assertThrows(ImageFormatException.class, r::next);
                assertTrue(e.getMessage().contains("offset 2048") && e.getMessage().contains("truncated"),
                        e.getMessage());
            }
        });
    }

    @Test
    void truncatedPayload() throws IOException {
        byte[] image = threeClusters();
        // cluster 2048 holds two 100-byte payloads at 3072..3272; cut inside the second
        rejected(Arrays.copyOf(image, 3072 + 150), "truncated", "offset 2048");
        rejected(Arrays.copyOf(image, 3072), "truncated", "offset 2048");
    }

    @Test
    void mixedCompressFlags() throws IOException {
        byte[] image = threeClusters();
        image[4096 + 20] = 1;
        rejected(image, "offset 4096", "compress");
    }

    @Test
    void trailingBytesShorterThanAnIndexBlockAreIgnored() throws Exception {
        byte[] image = threeClusters();
        for (int extra : new int[] {1, 500, 1023}) {
            byte[] longer = Arrays.copyOf(image, image.length + extra);
            Arrays.fill(longer, image.length, longer.length, (byte) 0xAB);
            assertEquals(3, readAll(longer).size());
        }
        byte[] block = Arrays.copyOf(image, image.length + 1024);
        Arrays.fill(block, image.length, block.length, (byte) 0xAB);
        rejected(block, "offset 6144");
    }

    // ---- ZlibCodec -----------------------------------------------------------------------------------------------

    private static byte[] compress(byte[] data, int level) {
        Deflater d = new Deflater();
        try {
            return ZlibCodec.compress(data, level, d);
        } finally {
            d.end();
        }
    }

    @Test
    void zlibRoundTripAndLimits() throws DataFormatException {
        byte[] data = new byte[100_000];
        new Random(1).nextBytes(data);
        for (int level : new int[] {1, 6, 9}) {
            byte[] z = compress(data, level);
            assertArrayEquals(data, ZlibCodec.decompress(z, data.length));
        }
        byte[] z = compress(data, 9);
        assertThrows(DataFormatException.class, () -> ZlibCodec.decompress(z, data.length - 1));
    }

    /** The zlib stream of empty content (78 da 03 00 00 00 00 01) is complete and inflates to nothing. */
    @Test
    void zlibAcceptsTheStreamOfEmptyContent() throws DataFormatException {
        byte[] z = compress(new byte[0], 9);
        assertArrayEquals(new byte[] {0x78, (byte) 0xda, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}, z);
        assertArrayEquals(new byte[0], ZlibCodec.decompress(z, 0));
        assertArrayEquals(new byte[0], ZlibCodec.decompress(z, 4096));
    }

    @Test
    void zlibContentSizesAroundTheInflateBuffer() throws DataFormatException {
        Random r = new Random(4);
        for (int size : new int[] {1, 65535, 65536, 65537, 131072, 262144}) {
            byte[] zeros = new byte[size];
            byte[] noise = new byte[size];
            r.nextBytes(noise);
            for (byte[] d : List.of(zeros, noise)) {
                assertArrayEquals(d, ZlibCodec.decompress(compress(d, 9), size), "size " + size);
            }
        }
    }

    @Test
    void zlibRejectsTruncatedStreams() {
        byte[] z = compress(new byte[50_000], 9);
        for (int cut : new int[] {0, 1, 2, z.length / 2, z.length - 4, z.length - 1}) {
            byte[] t = Arrays.copyOf(z, cut);
            assertThrows(DataFormatException.class, () -> ZlibCodec.decompress(t, 1 << 20), "cut at " + cut);
        }
    }

    @Test
    void zlibRejectsTrailingGarbage() {
        byte[] z = compress("hello metadump".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 9);
        byte[] t = Arrays.copyOf(z, z.length + 3);
        DataFormatException e = assertThrows(DataFormatException.class, () -> ZlibCodec.decompress(t, 4096));
        assertTrue(e.getMessage().contains("3 bytes"), e.getMessage());
        byte[] two = new byte[2 * z.length];
        System.arraycopy(z, 0, two, 0, z.length);
        System.arraycopy(z, 0, two, z.length, z.length);
        assertThrows(DataFormatException.class, () -> ZlibCodec.decompress(two, 4096), "two concatenated streams");
    }

    @Test
    void zlibRejectsOutputPastTheLimit() {
        byte[] z = compress(new byte[10 << 20], 9);
        assertTrue(z.length < 100_000);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            DataFormatException e = assertThrows(DataFormatException.class, () -> ZlibCodec.decompress(z, 1 << 20));
            assertTrue(e.getMessage().contains(Integer.toString(1 << 20)), e.getMessage());
        });
    }

    @Test
    void zlibRejectsRawDeflateAndCorruptData() {
        Deflater raw = new Deflater(9, true);
        byte[] rawStream;
        try {
            rawStream = ZlibCodec.compress(new byte[1000], 9, raw);
        } finally {
            raw.end();
        }
        assertThrows(DataFormatException.class, () -> ZlibCodec.decompress(rawStream, 4096));
        byte[] z = compress(new byte[1000], 9);
        z[z.length - 1] ^= 1; // Adler-32
        assertThrows(DataFormatException.class, () -> ZlibCodec.decompress(z, 4096));
    }
}
