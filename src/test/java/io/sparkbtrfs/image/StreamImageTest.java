package io.sparkbtrfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.DataFormatException;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.format.LittleEndian;

/**
 * The stream flavour of our images (zstd frames over runs of clusters, {@code _SBzst_1}): written by
 * {@link ClusterWriter#writeStreamed} from {@link ZstdStream.Encoder}, read back item by item (in order,
 * items and frames skipped), and hostile images rejected with the cluster's offset and what is wrong.
 */
public class StreamImageTest {
    private static final int LIMIT = 1 << 20;

    /** One cluster's items. */
    public record Items(long[] bytenrs, byte[][] contents) {
        int[] sizes() {
            int[] s = new int[contents.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = contents[i].length;
            }
            return s;
        }
    }

    /** Items that repeat across clusters (as names do across leaves), so that frames matter. */
    public static List<Items> clusters(long seed, int count, int items, int size) {
        Random r = new Random(seed);
        byte[] vocabulary = new byte[4096];
        r.nextBytes(vocabulary);
        List<Items> out = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            long[] bytenrs = new long[items];
            byte[][] contents = new byte[items][];
            for (int i = 0; i < items; i++) {
                bytenrs[i] = (1L << 20) + (long) (c * items + i) * size;
                contents[i] = new byte[size];
                for (int j = 0; j < size; j += 64) {
                    System.arraycopy(vocabulary, r.nextInt(vocabulary.length - 64), contents[i], j, Math.min(64, size - j));
                }
            }
            out.add(new Items(bytenrs, contents));
        }
        return out;
    }

    /** A stream image of {@code clusters}, frame {@code k} being clusters [frames[k], frames[k+1]). */
    public static byte[] write(List<Items> clusters, int[] frames) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ClusterWriter w = new ClusterWriter(out, MetadumpFormat.MAGIC_ZSTD_STREAM, MetadumpFormat.COMPRESS_ZSTD_STREAM, 0);
        try (ZstdStream.Encoder z = new ZstdStream.Encoder(3, 20)) {
            for (int f = 0; f + 1 < frames.length; f++) {
                for (int c = frames[f]; c < frames[f + 1]; c++) {
                    Items items = clusters.get(c);
                    z.clear();
                    for (byte[] content : items.contents()) {
                        z.add(content, 0, content.length);
                    }
                    boolean end = c + 1 == frames[f + 1];
                    z.flush(end);
                    int marks = (c == frames[f] ? MetadumpFormat.MARK_START : 0) | (end ? MetadumpFormat.MARK_END : 0);
                    w.writeStreamed(items.bytenrs(), items.sizes(), items.contents().length, z.buffer(), z.length(), marks);
                }
            }
        }
        return out.toByteArray();
    }

    private static List<ImageReader.Cluster> readAll(byte[] image) throws Exception {
        ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img");
        List<ImageReader.Cluster> out = new ArrayList<>();
        for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
            out.add(c);
        }
        return out;
    }

    @Test
    void itemsReadBackInOrderSkippedOrNot() throws Exception {
        List<Items> want = clusters(1, 7, 83, 4096);
        byte[] image = write(want, new int[] {0, 3, 4, 7});
        // every item of every cluster
        ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img");
        int k = 0;
        long stored = 0;
        for (ImageReader.Cluster c = r.next(); c != null; c = r.next(), k++) {
            assertTrue(c.streamed());
            assertEquals(k == 0 || k == 3 || k == 4 ? MetadumpFormat.MARK_START : 0, c.marks() & MetadumpFormat.MARK_START);
            assertEquals(k == 2 || k == 3 || k == 6 ? MetadumpFormat.MARK_END : 0, c.marks() & MetadumpFormat.MARK_END);
            assertArrayEquals(want.get(k).bytenrs(), c.bytenrs());
            for (int i = 0; i < c.size(); i++) {
                assertArrayEquals(want.get(k).contents()[i], c.content(i, LIMIT), "cluster " + k + " item " + i);
            }
            stored += c.storedBytes();
        }
        assertEquals(7, k);
        assertTrue(stored < 7 * 83 * 4096 / 4, "frames find what repeats: " + stored);
        // only some items: the last of cluster 1 (the frame's first cluster passed undecoded), none of frame 2,
        // the fourth of cluster 5
        r = new ImageReader(new ByteArrayInputStream(image), "img");
        k = 0;
        for (ImageReader.Cluster c = r.next(); c != null; c = r.next(), k++) {
            if (k == 1) {
                assertArrayEquals(want.get(1).contents()[82], c.content(82, LIMIT));
            } else if (k == 5) {
                assertArrayEquals(want.get(5).contents()[3], c.content(3, LIMIT));
                ImageReader.Cluster cluster = c;
                assertThrows(IllegalStateException.class, () -> cluster.content(2, LIMIT), "items are read in order");
            }
        }
    }

    @Test
    void streamsMustBeDecodedByTheCallerWhenAskedTo() throws Exception {
        byte[] image = write(clusters(2, 2, 3, 100), new int[] {0, 2});
        ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img").decodeStreams(false);
        ImageReader.Cluster c = r.next();
        assertThrows(IllegalStateException.class, () -> c.content(0, LIMIT));
        try (StreamDecoder d = new StreamDecoder()) {
            for (ImageReader.Cluster x = c; x != null; x = r.next()) {
                d.begin(x);
                d.item(LIMIT);
                d.end(new byte[100]);
            }
        }
    }

    private static void rejected(byte[] image, String... words) {
        Exception e = assertThrows(Exception.class, () -> {
            ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img");
            for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
                for (int i = 0; i < c.size(); i++) {
                    try {
                        c.content(i, LIMIT);
                    } catch (DataFormatException failure) {
                        // as callers report it (restore, info, verify)
                        throw new DataFormatException("item " + i + " of cluster at offset " + c.offset() + ": "
                                + failure.getMessage());
                    }
                }
            }
        });
        assertTrue(e instanceof ImageFormatException || e instanceof DataFormatException, e.toString());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
        }
    }

    /** Offsets of the clusters of an image written by {@link #write}. */
    private static List<Integer> offsets(byte[] image) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (ImageReader.Cluster c : readAll(image)) {
            out.add((int) c.offset());
        }
        return out;
    }

    @Test
    void frameMarksMustMatchTheStream() throws Exception {
        byte[] good = write(clusters(3, 3, 10, 2000), new int[] {0, 2, 3});
        List<Integer> at = offsets(good);
        int marks = MetadumpFormat.MARKS_OFFSET;

        byte[] noStart = good.clone();
        noStart[marks] = 0;
        rejected(noStart, "offset 0", "continues a zstd frame, but none is open");

        byte[] twoStarts = good.clone();
        twoStarts[at.get(1) + marks] = MetadumpFormat.MARK_START;
        rejected(twoStarts, "offset " + at.get(1), "starts a zstd frame while the one begun at offset 0 is open");

        byte[] unknown = good.clone();
        unknown[at.get(2) + marks] |= 4;
        rejected(unknown, "offset " + at.get(2), "unknown frame marks");

        byte[] endTooEarly = good.clone();
        endTooEarly[marks] |= MetadumpFormat.MARK_END; // cluster 0 says it ends its frame; the stream goes on
        endTooEarly[at.get(1) + marks] |= MetadumpFormat.MARK_START;
        rejected(endTooEarly, "offset 0", "does not end where the cluster says");

        byte[] endMissing = good.clone();
        endMissing[at.get(2) + marks] = MetadumpFormat.MARK_START; // the last frame is never closed
        rejected(endMissing, "truncated", "ends inside the zstd frame that begins at offset " + at.get(2));

        rejected(Arrays.copyOf(good, at.get(1)), "truncated", "ends inside the zstd frame that begins at offset 0");
        assertEquals(2, offsets(Arrays.copyOf(good, at.get(2))).size(), "a cut between frames leaves whole frames");
    }

    @Test
    void lyingSizesAndCorruptedPayloads() throws Exception {
        byte[] good = write(clusters(4, 2, 10, 2000), new int[] {0, 2});
        List<Integer> at = offsets(good);
        int item3 = MetadumpFormat.HEADER_SIZE + 3 * MetadumpFormat.ENTRY_SIZE + 8;

        byte[] longer = good.clone();
        LittleEndian.put32(longer, at.get(1) + item3, 2100); // the stream holds 100 bytes fewer than declared
        rejected(longer, "offset " + at.get(1), "the payload ends inside item");

        byte[] shorter = good.clone();
        LittleEndian.put32(shorter, at.get(1) + item3, 1900);
        rejected(shorter, "offset " + at.get(1), "holds more than the cluster's items");

        byte[] bomb = good.clone();
        LittleEndian.put32(bomb, at.get(1) + item3, 200L << 20);
        rejected(bomb, "declares 209715200 bytes of content (at most " + LIMIT + ")");

        byte[] flipped = good.clone();
        flipped[at.get(1) + MetadumpFormat.INDEX_SIZE + 40] ^= 0x55;
        rejected(flipped, "offset " + at.get(1));

        byte[] hugePayload = good.clone();
        LittleEndian.put32(hugePayload, at.get(1) + MetadumpFormat.PAYLOAD_SIZE_OFFSET, 100L << 20);
        rejected(hugePayload, "truncated", "payload of the cluster at offset " + at.get(1));

        byte[] overLimit = good.clone();
        LittleEndian.put32(overLimit, at.get(1) + MetadumpFormat.PAYLOAD_SIZE_OFFSET, 0xFFFFFFFFL);
        rejected(overLimit, "offset " + at.get(1), "payload of 4294967295 bytes");
    }

    @Test
    void theOldFlavourAndTheReferencesKeepTheirFlags() throws Exception {
        byte[] image = write(clusters(5, 1, 2, 100), new int[] {0, 1});
        byte[] asV0 = image.clone();
        LittleEndian.put64(asV0, 0, MetadumpFormat.MAGIC_V0);
        rejected(asV0, "compress flag 3");
        byte[] wrongFlag = image.clone();
        wrongFlag[20] = MetadumpFormat.COMPRESS_ZSTD;
        rejected(wrongFlag, "compress flag 2");
        assertNull(new ImageReader(new ByteArrayInputStream(image), "img").next().payloads());
    }
}
