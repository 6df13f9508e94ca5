package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.testing.Fast;

/** Item merging in submission order (spec §2.6) and the plan's cluster arithmetic. */
@Fast
class PlanBuilderTest {
    private static final long MAX = MetadumpFormat.MAX_PENDING_V0; // 262144
    private static final int N = 16384;
    private static final long SB = 65536;
    private static final long MIB = 1L << 20;

    private record Item(long start, int length, byte kind) {
    }

    private static Item sb() {
        return new Item(SB, 4096, ItemPlan.SUPERBLOCK);
    }

    private static Item meta(long start, int length) {
        return new Item(start, length, ItemPlan.METADATA);
    }

    private static Item data(long start, int length) {
        return new Item(start, length, ItemPlan.DATA);
    }

    private static List<Item> items(ItemPlan p) {
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < p.items(); i++) {
            out.add(new Item(p.start(i), p.length(i), p.kind(i)));
        }
        return out;
    }

    private static PlanBuilder withSuperblock() {
        PlanBuilder b = new PlanBuilder(MAX);
        b.addSuperblock(SB, 4096);
        return b;
    }

    /** Leaves the -w walk planned unread are marked, block by block, across merged items and clusters (issue 16). */
    @Test
    void leavesPlannedUnreadAreMarked() {
        PlanBuilder b = withSuperblock();
        List<Long> marked = new ArrayList<>();
        b.add(MIB, N, false);
        b.addLeaf(MIB + N, N); // merged into the item before: its second block
        marked.add(MIB + N);
        b.add(MIB + 2 * N, N, false);
        b.add(8 * MIB, 4096, true);
        for (int i = 0; i < 3 * MetadumpFormat.MAX_ITEMS; i++) {
            long at = 16 * MIB + 2L * i * N; // not contiguous: an item each, over several clusters
            if (i % 3 == 1) {
                b.addLeaf(at, N);
                marked.add(at);
            } else {
                b.add(at, N, false);
            }
        }
        ItemPlan plan = b.build();
        List<Long> found = new ArrayList<>();
        for (int item = 0; item < plan.items(); item++) {
            for (int off = 0; off < plan.length(item); off += plan.kind(item) == ItemPlan.METADATA ? N : plan.length(item)) {
                if (plan.mustBeLeaf(item, off)) {
                    found.add(plan.start(item) + off);
                }
            }
        }
        assertEquals(marked, found);
    }

    @Test
    void contiguousSameKindExtentsMerge() {
        PlanBuilder b = withSuperblock();
        b.add(MIB, N, false);
        b.add(MIB + N, N, false);
        b.add(MIB + 2 * N, N, false);
        b.add(8 * MIB, 4096, true);
        b.add(8 * MIB + 4096, 8192, true);
        assertEquals(List.of(sb(), meta(MIB, 3 * N), data(8 * MIB, 12288)), items(b.build()));
    }

    @Test
    void kindsDoNotMerge() {
        PlanBuilder b = withSuperblock();
        b.add(MIB, N, false);
        b.add(MIB + N, N, true);
        b.add(MIB + 2 * N, N, false);
        assertEquals(List.of(sb(), meta(MIB, N), data(MIB + N, N), meta(MIB + 2 * N, N)), items(b.build()));
    }

    @Test
    void mergingStopsAtMaxPending() {
        PlanBuilder b = withSuperblock();
        for (int i = 0; i < 17; i++) {
            b.add(MIB + (long) i * N, N, false);
        }
        // 16 × 16384 = 262144 exactly fits; the 17th starts a new item
        assertEquals(List.of(sb(), meta(MIB, (int) MAX), meta(MIB + MAX, N)), items(b.build()));

        PlanBuilder c = withSuperblock();
        c.add(MIB, 200_000, true);
        c.add(MIB + 200_000, 62_144, true); // exactly 262144 together
        c.add(MIB + 262_144, 1, true);
        assertEquals(List.of(sb(), data(MIB, 262_144), data(MIB + 262_144, 1)), items(c.build()));
    }

    @Test
    void nonContiguousExtentsDoNotMerge() {
        PlanBuilder b = withSuperblock();
        b.add(MIB, N, false);
        b.add(MIB + N + 4096, N, false); // gap
        b.add(MIB + N, 4096, false); // fills the gap, but after: submission order, no sorting
        b.add(4 * MIB + N, N, false);
        b.add(4 * MIB, N, false); // descending neighbour
        assertEquals(List.of(sb(), meta(MIB, N), meta(MIB + N + 4096, N), meta(MIB + N, 4096), meta(4 * MIB + N, N),
                meta(4 * MIB, N)), items(b.build()));
    }

    @Test
    void superblockNeverMergesWithTheBlockAt69632() {
        PlanBuilder b = withSuperblock();
        b.add(69632, 4096, false);
        b.add(73728, 4096, false);
        assertEquals(List.of(sb(), meta(69632, 8192)), items(b.build()));

        PlanBuilder d = withSuperblock();
        d.add(69632, 4096, true);
        assertEquals(List.of(sb(), data(69632, 4096)), items(d.build()));
    }

    @Test
    void extentLargerThanMaxStaysOneItem() {
        PlanBuilder b = withSuperblock();
        b.add(MIB, 4096, true);
        b.add(MIB + 4096, (int) MIB, true); // would exceed max: new item, and it stays whole
        b.add(MIB + 4096 + MIB, 4096, true); // contiguous but pending already > max
        b.add(16 * MIB, 3 * (int) MIB, true);
        assertEquals(List.of(sb(), data(MIB, 4096), data(MIB + 4096, (int) MIB), data(2 * MIB + 4096, 4096),
                data(16 * MIB, 3 * (int) MIB)), items(b.build()));
    }

    @Test
    void v1LimitMergesMore() {
        PlanBuilder b = new PlanBuilder(MetadumpFormat.MAX_PENDING_V1);
        b.addSuperblock(SB, 4096);
        for (int i = 0; i < 1000; i++) {
            b.add(MIB + (long) i * N, N, false);
        }
        assertEquals(List.of(sb(), meta(MIB, 1000 * N)), items(b.build()));
    }

    @Test
    void emptyAndSuperblockOnlyPlans() {
        ItemPlan empty = new PlanBuilder(MAX).build();
        assertEquals(0, empty.items());
        assertEquals(0, empty.clusters());

        ItemPlan one = withSuperblock().build();
        assertEquals(List.of(sb()), items(one));
        assertEquals(1, one.clusters());
        assertEquals(0, one.metadataBlocks(N));
    }

    @Test
    void buildIsRepeatableAndCountsBlocks() {
        PlanBuilder b = withSuperblock();
        b.add(MIB, 4 * N, false);
        b.add(8 * MIB, 100_000, true);
        ItemPlan p = b.build();
        assertEquals(List.of(sb(), meta(MIB, 4 * N), data(8 * MIB, 100_000)), items(p));
        assertEquals(4, p.metadataBlocks(N));
        assertEquals(4096 + 4 * N + 100_000, p.contentBytes(0, 1));
    }

    private static ItemPlan plan(int n) {
        PlanBuilder b = withSuperblock();
        for (int i = 1; i < n; i++) {
            b.add(MIB + 2L * i * N, N + i, i % 3 == 0); // never contiguous: one item each
        }
        ItemPlan p = b.build();
        assertEquals(n, p.items());
        return p;
    }

    @Test
    void clusterBoundaries() {
        int[][] cases = {{1, 1}, {82, 1}, {83, 1}, {84, 2}, {166, 2}, {167, 3}, {83 * 5 + 17, 6}, {1000, 13}};
        for (int[] c : cases) {
            ItemPlan p = plan(c[0]);
            assertEquals(c[1], p.clusters(), c[0] + " items");
            int covered = 0;
            for (int k = 0; k < p.clusters(); k++) {
                assertEquals(covered, p.firstItem(k));
                int size = p.endItem(k) - p.firstItem(k);
                if (k < p.clusters() - 1) {
                    assertEquals(83, size, "every cluster but the last is full");
                } else {
                    assertEquals(c[0] - 83 * k, size, "last cluster");
                    assertEquals(c[0], p.endItem(k));
                }
                long bytes = 0;
                for (int i = p.firstItem(k); i < p.endItem(k); i++) {
                    bytes += p.length(i);
                }
                assertEquals(bytes, p.contentBytes(k, k + 1));
                covered = p.endItem(k);
            }
            assertEquals(c[0], covered);
            long all = 0;
            for (int i = 0; i < p.items(); i++) {
                all += p.length(i);
            }
            assertEquals(all, p.contentBytes(0, p.clusters()));
            assertEquals(0, p.contentBytes(1, 1));
        }
    }
}
