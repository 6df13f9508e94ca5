package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.image.ClusterWriter;
import io.sparkbtrfs.image.MetadumpFormat;

/** Patched parts, concatenated as they are (HDFS concat), give the bytes of the streaming assembly. */
class PartPatcherTest {
    private static final int MAX = MetadumpFormat.MAX_ITEMS;

    private static long[] bytenrs;
    private static byte[][] payloads;

    private static void synthetic(int items, long seed) {
        Random r = new Random(seed);
        bytenrs = new long[items];
        payloads = new byte[items][];
        for (int i = 0; i < items; i++) {
            bytenrs[i] = r.nextLong() | 1;
            payloads[i] = new byte[1 + r.nextInt(i % 17 == 0 ? 70_000 : 3000)];
            r.nextBytes(payloads[i]);
        }
    }

    private static PartResult writePart(int part, int from, int to, ByteArrayOutputStream out) throws IOException {
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

    @Test
    void concatenatedPatchedPartsEqualTheAssembledImage() throws IOException {
        synthetic(300, 5); // 4 clusters: 83 + 83 + 83 + 51
        List<int[]> splits = List.of(new int[] {0, 4}, new int[] {0, 3, 4}, new int[] {0, 1, 2, 3, 4},
                new int[] {0, 0, 3, 3, 4, 4}, new int[] {0, 2, 4}, new int[] {0, 1, 1, 4}, new int[] {0, 2, 2, 3, 4});
        for (int[] bounds : splits) {
            List<PartResult> parts = new ArrayList<>();
            List<byte[]> bytes = new ArrayList<>();
            for (int i = 0; i + 1 < bounds.length; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                parts.add(writePart(i, bounds[i], bounds[i + 1], out));
                bytes.add(out.toByteArray());
            }
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            ImageAssembler.assemble(parts, i -> new ByteArrayInputStream(bytes.get(i)), want);

            List<PartPatcher.Patch> patches = PartPatcher.plan(parts);
            assertEquals(parts.stream().filter(p -> p.length() > 0).count(), patches.size(), "empty parts skipped");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            for (PartPatcher.Patch p : patches) {
                ByteArrayOutputStream one = new ByteArrayOutputStream();
                long n = PartPatcher.patch(p, new ByteArrayInputStream(bytes.get(p.part())), one);
                assertEquals(p.length(), n);
                assertEquals(got.size(), p.base(), "base offset of part " + p.part());
                got.writeBytes(one.toByteArray());
            }
            assertArrayEquals(want.toByteArray(), got.toByteArray(), Arrays.toString(bounds));
        }
    }

    @Test
    void partsOfTheWrongLengthAreRejected() throws IOException {
        synthetic(200, 9);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PartResult part = writePart(0, 0, 3, out);
        PartPatcher.Patch patch = PartPatcher.plan(List.of(part)).get(0);
        byte[] b = out.toByteArray();
        assertThrows(IOException.class, () -> PartPatcher.patch(patch,
                new ByteArrayInputStream(Arrays.copyOf(b, b.length - 1)), new ByteArrayOutputStream()));
        assertThrows(IOException.class, () -> PartPatcher.patch(patch,
                new ByteArrayInputStream(Arrays.copyOf(b, b.length + 1)), new ByteArrayOutputStream()));
    }
}
