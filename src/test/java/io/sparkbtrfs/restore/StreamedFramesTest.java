package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.image.StreamImageTest;

/**
 * How restore decodes stream images: whole frames handed to workers, or, past the frame size that a worker
 * may hold, decoded on the reading thread as they arrive; either way every item reaches the target whole,
 * piece by piece at its address, and a corrupted frame fails with its cluster's offset.
 */
class StreamedFramesTest {
    private static final ImageHeader HEADER = new ImageHeader(MetadumpFormat.MAGIC_ZSTD_STREAM, null, null,
            new RestoreMap(List.of(), false), List.of(), Map.of());

    /** Restores {@code image} through StreamedFrames; returns what each address received. */
    private static Map<Long, byte[]> restore(byte[] image, long frameJobBytes, List<String> jobs) throws Exception {
        Map<Long, byte[]> written = new TreeMap<>();
        Restorer.Sink sink = (logical, buf, len) -> {
            synchronized (written) {
                written.put(logical, java.util.Arrays.copyOf(buf, len));
            }
        };
        AtomicLong items = new AtomicLong();
        StreamedFrames.Jobs run = (where, job) -> {
            jobs.add(where);
            try {
                job.run();
            } catch (RestoreException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
        ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img").decodeStreams(false);
        try (StreamedFrames frames = new StreamedFrames("img", HEADER, sink, items, new AtomicLong(), run, frameJobBytes)) {
            for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
                frames.add(c);
            }
        }
        assertEquals(5 * 83, items.get());
        return written;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, StreamedFrames.FRAME_JOB_BYTES})
    void everyItemArrivesWhole(long frameJobBytes) throws Exception {
        List<StreamImageTest.Items> clusters = StreamImageTest.clusters(7, 5, 83, 8192);
        byte[] image = StreamImageTest.write(clusters, new int[] {0, 1, 4, 5});
        List<String> jobs = new ArrayList<>();
        Map<Long, byte[]> written = restore(image, frameJobBytes, jobs);
        for (StreamImageTest.Items c : clusters) {
            for (int i = 0; i < c.bytenrs().length; i++) {
                assertArrayEquals(c.contents()[i], written.get(c.bytenrs()[i]));
            }
        }
        // frames of one cluster always go to a worker; the three-cluster frame only while it fits
        assertEquals(frameJobBytes == 1 ? 2 : 3, jobs.size(), jobs.toString());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, StreamedFrames.FRAME_JOB_BYTES})
    void aCorruptedFrameNamesTheClusterWhereItShows(long frameJobBytes) throws Exception {
        byte[] image = StreamImageTest.write(StreamImageTest.clusters(8, 5, 83, 8192), new int[] {0, 1, 4, 5});
        long third = 0;
        ImageReader r = new ImageReader(new ByteArrayInputStream(image), "img").decodeStreams(false);
        for (int k = 0; k < 3; k++) {
            third = r.next().offset();
        }
        image[(int) third + MetadumpFormat.INDEX_SIZE + 100] ^= 0x5a;
        Exception e = assertThrows(Exception.class, () -> restore(image, frameJobBytes, new ArrayList<>()));
        String message = e.getMessage();
        // found in that cluster, or at the frame's end (its content checksum) at the latest
        assertTrue(message.startsWith("img: ") && message.contains("cluster at offset "), message);
        long at = Long.parseLong(message.replaceAll(".*cluster at offset (\\d+).*", "$1"));
        assertTrue(at >= third, message);
    }
}
