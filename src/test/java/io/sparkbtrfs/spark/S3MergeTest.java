package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.dump.PartPatcher;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.store.S3MultipartMerge;
import io.sparkbtrfs.testing.Fast;
import io.sparkbtrfs.testing.SyntheticItems;

/**
 * The S3 merge's building blocks: parts patched group by group (as executors write merge objects) concatenate to
 * the one-pass image for every grouping, parts the merge copies as staged really need no patch, and the
 * grouping obeys the multipart size rules.
 */
@Fast
class S3MergeTest {
    private static void check(SyntheticItems items, int[] bounds, byte[] want, long min) throws IOException {
        List<PartResult> parts = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        for (int i = 0; i + 1 < bounds.length; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            parts.add(items.writePart(i, bounds[i], bounds[i + 1], out));
            bytes.add(out.toByteArray());
        }
        PartPatcher.Patch[] byPart = new PartPatcher.Patch[parts.size()];
        for (PartPatcher.Patch p : PartPatcher.plan(parts)) {
            byPart[p.part()] = p;
        }
        long[] lengths = parts.stream().mapToLong(PartResult::length).toArray();
        List<int[]> groups = S3MultipartMerge.group(lengths, min);
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        for (int g = 0; g < groups.size(); g++) {
            ByteArrayOutputStream obj = new ByteArrayOutputStream();
            long n = 0;
            long expected = 0;
            for (int i = groups.get(g)[0]; i < groups.get(g)[1]; i++) {
                expected += lengths[i];
                if (byPart[i] == null) {
                    continue;
                }
                int at = obj.size();
                n += PartPatcher.patch(byPart[i], new ByteArrayInputStream(bytes.get(i)), obj);
                if (S3Merge.unchanged(byPart[i])) {
                    assertArrayEquals(bytes.get(i), Arrays.copyOfRange(obj.toByteArray(), at, obj.size()),
                            "part " + i + " copied as staged must need no patch");
                }
            }
            assertEquals(expected, n);
            if (g < groups.size() - 1) {
                assertTrue(n >= min, "non-final group below the minimum: " + n);
            }
            obj.writeTo(image);
        }
        assertArrayEquals(want, image.toByteArray(), Arrays.toString(bounds) + " min " + min);
    }

    @Test
    void patchedGroupsConcatenateToTheOnePassImage() throws IOException {
        for (int items : new int[] {300, 250, 84, 1}) {
            SyntheticItems synthetic = SyntheticItems.random(items, items);
            ByteArrayOutputStream one = new ByteArrayOutputStream();
            synthetic.writePart(0, 0, synthetic.clusters(), one);
            byte[] want = one.toByteArray();
            int c = synthetic.clusters();
            List<int[]> splits = new ArrayList<>();
            splits.add(new int[] {0, c});
            splits.add(new int[] {0, 0, c, c});
            for (int cut = 0; cut <= c; cut++) {
                splits.add(new int[] {0, cut, c});
            }
            if (c >= 4) {
                splits.add(new int[] {0, 1, 2, 3, c});
                splits.add(new int[] {0, c - 1, c});
                splits.add(new int[] {0, 1, c - 1, c - 1, c});
            }
            for (int[] bounds : splits) {
                for (long min : new long[] {1, 50_000, 120_000, 1L << 20}) {
                    check(synthetic, bounds, want, min);
                }
            }
        }
    }

    @Test
    void groupsReachTheMinimumExceptTheLast() {
        long m = 5;
        assertEquals("[[0, 1], [1, 3], [3, 4]]", str(S3MultipartMerge.group(new long[] {7, 3, 2, 1}, m)));
        assertEquals("[[0, 4]]", str(S3MultipartMerge.group(new long[] {1, 1, 1, 1}, m)));
        assertEquals("[[0, 1], [1, 4]]", str(S3MultipartMerge.group(new long[] {5, 0, 5, 0}, m)));
        assertEquals("[[0, 2]]", str(S3MultipartMerge.group(new long[] {0, 0}, m)));
        assertEquals("[]", str(S3MultipartMerge.group(new long[0], m)));
    }

    @Test
    void rangesStayWithinTheMaximumPartSize() {
        assertEquals(1, S3MultipartMerge.ranges(S3MultipartMerge.MAX_PART).size());
        List<long[]> r = S3MultipartMerge.ranges(S3MultipartMerge.MAX_PART + 1);
        assertEquals(2, r.size());
        assertEquals(0, r.get(0)[0]);
        assertEquals(S3MultipartMerge.MAX_PART, r.get(1)[1]);
        assertEquals(r.get(0)[1] + 1, r.get(1)[0]);
        assertTrue(r.get(1)[1] - r.get(1)[0] + 1 >= S3MultipartMerge.MIN_PART);
    }

    private static String str(List<int[]> groups) {
        return groups.stream().map(Arrays::toString).toList().toString();
    }
}
