package io.sparkbtrfs.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.image.ClusterWriter;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * Random raw items (odd bytenrs, payloads of 1..3000 bytes and now and then up to 70 000) written as parts of
 * an image, as tasks write them: for the merge paths' tests, which need parts but no filesystem.
 */
public final class SyntheticItems {
    private static final int MAX = MetadumpFormat.MAX_ITEMS;

    private final long[] bytenrs;
    private final byte[][] payloads;

    private SyntheticItems(long[] bytenrs, byte[][] payloads) {
        this.bytenrs = bytenrs;
        this.payloads = payloads;
    }

    public static SyntheticItems random(int items, long seed) {
        Random r = new Random(seed);
        long[] bytenrs = new long[items];
        byte[][] payloads = new byte[items][];
        for (int i = 0; i < items; i++) {
            bytenrs[i] = r.nextLong() | 1;
            payloads[i] = new byte[1 + r.nextInt(i % 17 == 0 ? 70_000 : 3000)];
            r.nextBytes(payloads[i]);
        }
        return new SyntheticItems(bytenrs, payloads);
    }

    /** Clusters of 83 items (the last one shorter). */
    public int clusters() {
        return (bytenrs.length + MAX - 1) / MAX;
    }

    /** Clusters [from, to) as part {@code part}, offsets relative to the part, into {@code out}. */
    public PartResult writePart(int part, int from, int to, ByteArrayOutputStream out) throws IOException {
        ClusterWriter w = new ClusterWriter(out, MetadumpFormat.MAGIC_V0, 0, 0);
        long[] offsets = new long[to - from];
        for (int c = from; c < to; c++) {
            int first = c * MAX;
            int n = Math.min(bytenrs.length, (c + 1) * MAX) - first;
            offsets[c - from] = w.write(Arrays.copyOfRange(bytenrs, first, first + n),
                    Arrays.copyOfRange(payloads, first, first + n), n);
        }
        return new PartResult(part, w.offset(), offsets, w.lastIndex(), 0, 0);
    }
}
