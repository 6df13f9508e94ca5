package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.image.ClusterWriter;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.testing.Fast;

/**
 * Partitioning of a plan into runs of clusters, and assembling separately written parts into the image a single
 * writer would have produced (including the stale index entries of the final cluster, spec §2.10).
 */
@Fast
class ClusterRunsAndAssemblerTest {
    private static final int MAX = MetadumpFormat.MAX_ITEMS;

    // ---- ClusterRuns -------------------------------------------------------------------------------------------

    private static ItemPlan plan(int items, Random r, boolean uniform) {
        long[] starts = new long[items];
        int[] lengths = new int[items];
        byte[] kinds = new byte[items];
        for (int i = 0; i < items; i++) {
            starts[i] = (1L << 20) + i * (1L << 20);
            lengths[i] = uniform ? 16384 : 1 + (r.nextInt(10) == 0 ? r.nextInt(262144) : r.nextInt(16384));
            kinds[i] = i == 0 ? ItemPlan.SUPERBLOCK : ItemPlan.METADATA;
        }
        return new ItemPlan(starts, lengths, kinds, items);
    }

    private static void checkRuns(ItemPlan p, int wanted, int[] b) {
        int clusters = p.clusters();
        String what = clusters + " clusters, wanted " + wanted + ": " + Arrays.toString(b);
        assertEquals(Math.min(wanted, clusters) + 1, b.length, what);
        assertEquals(0, b[0], what);
        assertEquals(clusters, b[b.length - 1], what);
        for (int i = 0; i + 1 < b.length; i++) {
            assertTrue(b[i] < b[i + 1], "empty run: " + what);
        }
    }

    @Test
    void splitGivesContiguousNonEmptyRunsCoveringAllClusters() {
        Random r = new Random(11);
        int[] itemCounts = {1, 2, 83, 84, 166, 167, 300, 83 * 7, 83 * 7 + 1, 2000, 10_000};
        int[] wanteds = {1, 2, 3, 4, 5, 7, 8, 13, 16, 64, 200, 1000, Integer.MAX_VALUE};
        for (int items : itemCounts) {
            for (boolean uniform : new boolean[] {true, false}) {
                ItemPlan p = plan(items, r, uniform);
                for (int wanted : wanteds) {
                    checkRuns(p, wanted, ClusterRuns.split(p, wanted));
                }
            }
        }
    }

    @Test
    void streamFramesAreWholeRunsOfClustersAndPartitionsWholeFrames() {
        Random r = new Random(12);
        for (int items : new int[] {1, 83, 84, 2000, 10_000}) {
            ItemPlan p = plan(items, r, false);
            for (long frameBytes : new long[] {1, 1 << 20, 8L << 20, Long.MAX_VALUE}) {
                int[] frames = StreamFrames.bounds(p, frameBytes);
                assertEquals(0, frames[0]);
                assertEquals(p.clusters(), frames[frames.length - 1]);
                for (int f = 0; f + 1 < frames.length; f++) {
                    assertTrue(frames[f] < frames[f + 1]);
                    assertEquals(frames[f + 1], StreamFrames.frameEnd(p, frames[f], frameBytes));
                    // a frame ends at the first cluster that brings it to the frame size
                    assertTrue(frames[f + 1] == p.clusters() || p.contentBytes(frames[f], frames[f + 1]) >= frameBytes);
                    assertTrue(p.contentBytes(frames[f], frames[f + 1] - 1) < frameBytes);
                }
                List<Integer> allowed = Arrays.stream(frames).boxed().toList();
                for (int wanted : new int[] {1, 2, 7, 64}) {
                    int[] runs = ClusterRuns.split(p, wanted, frames);
                    assertEquals(Math.min(wanted, frames.length - 1) + 1, runs.length);
                    for (int b : runs) {
                        assertTrue(allowed.contains(b), "run boundary " + b + " inside a frame: " + Arrays.toString(runs));
                    }
                }
            }
        }
    }

    @Test
    void splitHandlesSkewedSizes() {
        // One huge cluster among tiny ones, at the start, middle and end.
        for (int hugeAt : new int[] {0, 5, 9}) {
            int items = 10 * MAX;
            long[] starts = new long[items];
            int[] lengths = new int[items];
            byte[] kinds = new byte[items];
            for (int i = 0; i < items; i++) {
                lengths[i] = i / MAX == hugeAt ? 1 << 24 : 1;
            }
            ItemPlan p = new ItemPlan(starts, lengths, kinds, items);
            for (int wanted = 1; wanted <= 12; wanted++) {
                checkRuns(p, wanted, ClusterRuns.split(p, wanted));
            }
        }
    }

    @Test
    void splitIsBalancedForEqualClusters() {
        ItemPlan p = plan(83 * 100, new Random(1), true);
        for (int wanted : new int[] {1, 3, 7, 10, 33, 99, 100}) {
            int[] b = ClusterRuns.split(p, wanted);
            checkRuns(p, wanted, b);
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (int i = 0; i + 1 < b.length; i++) {
                min = Math.min(min, b[i + 1] - b[i]);
                max = Math.max(max, b[i + 1] - b[i]);
            }
            assertTrue(max - min <= 1, wanted + ": " + Arrays.toString(b));
        }
    }

    // ---- ImageAssembler ----------------------------------------------------------------------------------------

    /** Synthetic cluster contents: {@code items} payloads of varying sizes, 83 per cluster. */
    private record Synthetic(long[] bytenrs, byte[][] payloads) {
        int clusters() {
            return (bytenrs.length + MAX - 1) / MAX;
        }

        int first(int cluster) {
            return cluster * MAX;
        }

        int end(int cluster) {
            return Math.min(bytenrs.length, (cluster + 1) * MAX);
        }
    }

    private static Synthetic synthetic(int items, long seed) {
        Random r = new Random(seed);
        long[] bytenrs = new long[items];
        byte[][] payloads = new byte[items][];
        for (int i = 0; i < items; i++) {
            bytenrs[i] = r.nextLong() | 1; // never zero, so stale entries are visible
            payloads[i] = new byte[1 + r.nextInt(i % 17 == 0 ? 70_000 : 3000)];
            r.nextBytes(payloads[i]);
        }
        return new Synthetic(bytenrs, payloads);
    }

    /** Writes clusters [from, to) with a writer starting at offset 0. */
    private static PartResult writePart(Synthetic s, int part, int from, int to, int compress, ByteArrayOutputStream out)
            throws IOException {
        ClusterWriter w = new ClusterWriter(out, MetadumpFormat.MAGIC_V0, compress, 0);
        long[] offsets = new long[to - from];
        for (int c = from; c < to; c++) {
            int first = s.first(c);
            int n = s.end(c) - first;
            offsets[c - from] = w.write(Arrays.copyOfRange(s.bytenrs, first, first + n),
                    Arrays.copyOfRange(s.payloads, first, first + n), n);
        }
        assertEquals(out.size(), w.offset());
        return new PartResult(part, w.offset(), offsets, w.lastIndex(), 0, 0);
    }

    private static byte[] onePass(Synthetic s, int compress) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writePart(s, 0, 0, s.clusters(), compress, out);
        return out.toByteArray();
    }

    private static byte[] assembled(Synthetic s, int[] bounds, int compress) throws IOException {
        List<PartResult> parts = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        for (int i = 0; i + 1 < bounds.length; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            parts.add(writePart(s, i, bounds[i], bounds[i + 1], compress, out));
            bytes.add(out.toByteArray());
        }
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        List<Integer> opened = new ArrayList<>();
        long length = ImageAssembler.assemble(parts, i -> {
            opened.add(i);
            return new ByteArrayInputStream(bytes.get(i));
        }, image);
        assertEquals(image.size(), length);
        for (int i : opened) {
            assertTrue(parts.get(i).length() > 0, "empty part " + i + " need not be opened");
        }
        return image.toByteArray();
    }

    /** Every way of cutting {@code clusters} into {@code parts} runs, empty runs included. */
    private static List<int[]> allSplits(int clusters, int parts) {
        List<int[]> out = new ArrayList<>();
        int[] b = new int[parts + 1];
        b[parts] = clusters;
        fill(b, 1, clusters, out);
        return out;
    }

    private static void fill(int[] b, int i, int clusters, List<int[]> out) {
        if (i == b.length - 1) {
            out.add(b.clone());
            return;
        }
        for (int v = b[i - 1]; v <= clusters; v++) {
            b[i] = v;
            fill(b, i + 1, clusters, out);
        }
    }

    @ParameterizedTest(name = "{0} items, compress {1}")
    @CsvSource({"300, 0", "300, 1", "250, 0", "333, 0", "84, 0", "83, 0", "1, 0"})
    void assembledPartsEqualTheOnePassImage(int items, int compress) throws IOException {
        Synthetic s = synthetic(items, items * 31L + compress);
        byte[] want = onePass(s, compress);
        int clusters = s.clusters();
        int checked = 0;
        for (int parts = 1; parts <= Math.min(clusters + 2, 6); parts++) {
            for (int[] bounds : allSplits(clusters, parts)) {
                assertArrayEquals(want, assembled(s, bounds, compress), Arrays.toString(bounds));
                checked++;
            }
        }
        assertTrue(checked > 0);
    }

    @Test
    void finalClusterAloneInItsPartGetsStaleEntriesFromThePreviousPart() throws IOException {
        Synthetic s = synthetic(300, 7); // 83 + 83 + 83 + 51
        assertEquals(4, s.clusters());
        byte[] want = onePass(s, 0);

        // The final cluster's index in the one-pass image: its tail holds the third cluster's entries 51..82.
        List<ImageReader.Cluster> read = new ArrayList<>();
        try {
            ImageReader r = new ImageReader(new ByteArrayInputStream(want), "one-pass");
            for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
                read.add(c);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertEquals(4, read.size());
        byte[] lastIndex = read.get(3).index();
        int tail = 21 + 12 * 51;
        assertArrayEquals(Arrays.copyOfRange(read.get(2).index(), tail, MetadumpFormat.ENTRIES_END),
                Arrays.copyOfRange(lastIndex, tail, MetadumpFormat.ENTRIES_END));
        assertEquals(s.bytenrs[2 * MAX + 51], LittleEndian.u64(lastIndex, tail), "a stale entry is really there");

        // Written alone, the part's index tail is zero: only the assembler can restore the stale bytes.
        ByteArrayOutputStream alone = new ByteArrayOutputStream();
        writePart(s, 3, 3, 4, 0, alone);
        assertFalse(Arrays.equals(Arrays.copyOfRange(lastIndex, tail, 1024),
                Arrays.copyOfRange(alone.toByteArray(), tail, 1024)));

        for (int[] bounds : List.of(new int[] {0, 3, 4}, new int[] {0, 1, 2, 3, 4}, new int[] {0, 3, 3, 4},
                new int[] {0, 2, 3, 3, 4, 4}, new int[] {0, 0, 3, 4}, new int[] {0, 3, 4, 4, 4})) {
            assertArrayEquals(want, assembled(s, bounds, 0), Arrays.toString(bounds));
        }
    }

    @Test
    void baseOffsetsArePrefixSums() {
        List<PartResult> parts = List.of(new PartResult(0, 4096, new long[] {0, 2048}, new byte[1024], 0, 0),
                new PartResult(1, 0, new long[0], new byte[1024], 0, 0),
                new PartResult(2, 3072, new long[] {0}, new byte[1024], 0, 0),
                new PartResult(3, 1024, new long[] {0}, new byte[1024], 0, 0));
        assertArrayEquals(new long[] {0, 4096, 4096, 7168}, ImageAssembler.baseOffsets(parts));
    }

    @Test
    void partsOfTheWrongLengthAreRejected() throws IOException {
        Synthetic s = synthetic(200, 3);
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        PartResult pa = writePart(s, 0, 0, 1, 0, a);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PartResult pb = writePart(s, 1, 1, 3, 0, b);
        byte[] bb = b.toByteArray();

        byte[] shorter = Arrays.copyOf(bb, bb.length - 1);
        IOException e1 = assertThrows(IOException.class, () -> ImageAssembler.assemble(List.of(pa, pb),
                i -> new ByteArrayInputStream(i == 0 ? a.toByteArray() : shorter), new ByteArrayOutputStream()));
        assertTrue(e1.getMessage().contains("part 1") && e1.getMessage().contains("shorter"), e1.getMessage());

        byte[] longer = Arrays.copyOf(bb, bb.length + 1);
        IOException e2 = assertThrows(IOException.class, () -> ImageAssembler.assemble(List.of(pa, pb),
                i -> new ByteArrayInputStream(i == 0 ? a.toByteArray() : longer), new ByteArrayOutputStream()));
        assertTrue(e2.getMessage().contains("part 1") && e2.getMessage().contains("longer"), e2.getMessage());

        byte[] cut = Arrays.copyOf(bb, (int) pb.clusterOffsets()[1] + 100); // inside the second index block
        assertThrows(IOException.class, () -> ImageAssembler.assemble(List.of(pa, pb),
                i -> new ByteArrayInputStream(i == 0 ? a.toByteArray() : cut), new ByteArrayOutputStream()));
    }
}
