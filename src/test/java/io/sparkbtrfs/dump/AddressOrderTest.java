package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.testing.Fast;

/** When a plan's items are read by address and exchanged, and how they are cut (issue 16). */
@Fast
class AddressOrderTest {
    private static final int N = 16384;
    private static final long GAP = 2L << 20;
    private static final long BASE = 30L << 20;

    /** A superblock, then {@code blocks} tree blocks of one dense area, submitted in the order of {@code at}. */
    private static ItemPlan plan(int[] at) {
        PlanBuilder b = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
        b.addSuperblock(65536, 4096);
        for (int k : at) {
            b.add(BASE + (long) k * 2 * N, N, false); // every other block: no two merge into one item
        }
        return b.build();
    }

    private static int[] ascending(int n) {
        int[] a = new int[n];
        Arrays.setAll(a, i -> i);
        return a;
    }

    private static int[] shuffled(int n, long seed) {
        int[] a = ascending(n);
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    @Test
    void partsOfAddressOrderKeepReadingTheirOwn() {
        ItemPlan p = plan(ascending(2000));
        assertNull(AddressOrder.exchangeRuns(p, PartSpec.split(p, 4, new DumpSettings(Codec.NONE)), GAP));
    }

    @Test
    void partsOfItemsStrewnOverTheAreaAreExchangedInDisjointRunsOfAboutEqualContent() {
        ItemPlan p = plan(shuffled(2000, 16));
        List<PartSpec> parts = PartSpec.split(p, 4, new DumpSettings(Codec.NONE));
        int[][] runs = AddressOrder.exchangeRuns(p, parts, GAP);
        assertNotNull(runs);
        assertEquals(4, runs.length);
        int[] all = Arrays.stream(runs).flatMapToInt(Arrays::stream).toArray();
        assertArrayEquals(ascending(p.items()), Arrays.stream(all).sorted().toArray(), "every item once");
        for (int k = 1; k < all.length; k++) {
            assertEquals(true, Long.compareUnsigned(p.start(all[k - 1]), p.start(all[k])) < 0, "by address");
        }
        for (int[] run : runs) {
            assertEquals(500, run.length, 1.0, "runs of about equal content");
        }
        // One part alone: nothing to exchange.
        assertNull(AddressOrder.exchangeRuns(p, List.of(new PartSpec(0, 0, p.clusters())), GAP));
    }

    @Test
    void addressOrderIsUnsignedAndKeepsItemsOfOneStartInPlanOrder() {
        PlanBuilder b = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
        long high = 0xF000_0000_0000_0000L; // above 2^63: after every other address
        b.add(high, N, false);
        b.add(BASE, N, false);
        b.add(BASE + 4 * N, N, false);
        b.add(BASE, N, false); // a block planned twice (damaged trees can point to one block twice)
        ItemPlan p = b.build();
        assertArrayEquals(new int[] {1, 3, 2, 0}, AddressOrder.byAddress(p, 0, p.items()));
        assertArrayEquals(new int[] {3, 2}, AddressOrder.byAddress(p, 2, 4));
    }

    @Test
    void mergedBytesReadThroughGapsUpToTheGap() {
        PlanBuilder b = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
        b.add(BASE, N, false);
        b.add(BASE + GAP + N, N, false); // a gap of exactly GAP: read through
        b.add(BASE + 3 * GAP, N, false); // a gap of more: a request of its own
        ItemPlan p = b.build();
        int[] sorted = AddressOrder.byAddress(p, 0, p.items());
        assertEquals(GAP + 2 * N + N, AddressOrder.mergedBytes(p, sorted, GAP));
        assertEquals(3 * N, AddressOrder.mergedBytes(p, sorted, 0));
    }
}
