package io.sparkbtrfs.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Fast;

/**
 * Batched reads of a Hadoop source (issue 16), through {@code file:} URIs: every range gets exactly the bytes a
 * positional read gives, whatever the order and overlaps; ranges are merged across gaps up to the configured
 * one into requests of at most the configured size; a range past the end gets what there is.
 */
@Fast
class HadoopBlockSourceTest {
    private static final int SIZE = 3 << 20;

    private static Configuration conf(int gap, int max) {
        Configuration conf = new Configuration();
        conf.setLong(HadoopBlockSource.MAX_IN_FLIGHT, 2L << 20); // several vectored reads per batch
        conf.setInt(HadoopBlockSource.MERGE_GAP, gap);
        conf.setInt(HadoopBlockSource.MAX_REQUEST, max);
        return conf;
    }

    private static byte[] file(Path dir) throws Exception {
        byte[] data = new byte[SIZE];
        new Random(16).nextBytes(data);
        Files.write(dir.resolve("dev.img"), data);
        return data;
    }

    @Test
    void everyRangeGetsItsBytesWhateverTheOrder(@TempDir Path dir) throws Exception {
        byte[] data = file(dir);
        Random random = new Random(7);
        long[] positions = new long[200];
        int[] lengths = new int[200];
        int total = 0;
        for (int i = 0; i < positions.length; i++) {
            lengths[i] = 1 + random.nextInt(40_000);
            positions[i] = random.nextInt(SIZE - lengths[i]);
            total += lengths[i];
        }
        positions[7] = positions[3]; // the same range twice
        lengths[7] = lengths[3];
        positions[9] = SIZE - 100; // crosses the end: 100 bytes
        lengths[9] = 4096;
        byte[] out = new byte[total + 4096];
        ReadBatch batch = new ReadBatch(out);
        int[] offsets = new int[positions.length];
        for (int i = 0, at = 0; i < positions.length; at += lengths[i], i++) {
            offsets[i] = at;
            assertEquals(i, batch.add(positions[i], at, lengths[i]));
        }
        try (HadoopBlockSource source = new HadoopBlockSource(dir.resolve("dev.img").toUri().toString(),
                conf(64 << 10, 1 << 20), -1)) {
            assertTrue(source.prefersBatches());
            source.read(batch);
            for (int i = 0; i < positions.length; i++) {
                int n = (int) Math.min(lengths[i], SIZE - positions[i]);
                assertEquals(n, batch.bytesRead(i), "range " + i);
                assertArrayEquals(Arrays.copyOfRange(data, (int) positions[i], (int) positions[i] + n),
                        Arrays.copyOfRange(out, offsets[i], offsets[i] + n), "range " + i);
            }
            // 200 ranges over 3 MiB with 64 KiB gaps merged: a handful of requests of at most 1 MiB.
            ReadCounts counts = source.counts();
            assertTrue(counts.requests() >= 3 && counts.requests() < 20, counts.toString());
            assertTrue(counts.bytes() <= SIZE, counts.toString());
        }
    }

    @Test
    void rangesMergeAcrossGapsUpToTheLimit(@TempDir Path dir) throws Exception {
        file(dir);
        String uri = dir.resolve("dev.img").toUri().toString();
        // Four 16 KiB ranges 16 KiB apart, listed backwards.
        long[] at = {3 * 32768, 2 * 32768, 32768, 0};
        for (int[] setting : new int[][] {{16384, 1 << 20, 1}, {16383, 1 << 20, 4}, {16384, 65536, 2}}) {
            ReadBatch batch = new ReadBatch(new byte[4 * 16384]);
            for (int i = 0; i < at.length; i++) {
                batch.add(at[i], i * 16384, 16384);
            }
            try (HadoopBlockSource source = new HadoopBlockSource(uri, conf(setting[0], setting[1]), SIZE)) {
                source.read(batch);
                assertEquals(setting[2], source.counts().requests(),
                        "gap " + setting[0] + ", max " + setting[1]);
            }
        }
    }
}
