package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * The read-ahead of a remote source (a {@code file:} URI through Hadoop, read as a remote store is), with windows
 * small enough that a run spans dozens of them: in address order the next window is read on another thread while
 * this one is consumed. Every item copied is the item's bytes as the volume reads them, whatever the order asked
 * for: straight through, after a jump (the window read ahead is not the one needed), after switching orders
 * while a window is being read ahead, and in plan order (read ahead where the plan is in address order; where it
 * strews items over the metadata, read once by address into a local spill).
 */
class ItemPrefetchTest {
    private static final int WINDOW = 64 << 10;

    @Test
    void everyItemCopiedIsTheItemAsRead(@TempDir Path dir) throws Exception {
        TreeGenerator.withSeed(7).fileCount(2000).generate(dir.resolve("tree"));
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).nodesize(4096).rootdir(dir.resolve("tree")).run();
        try (Volume v = Volume.open(List.of(fs.toUri().toString()), new Configuration())) {
            assertTrue(v.prefersBatches());
            ItemPlan plan = Planner.plan(v, true);
            int[] order = AddressOrder.byAddress(plan, 0, plan.items());
            long content = 0;
            for (int i : order) {
                content += plan.length(i);
            }
            assertTrue(content > 20L * WINDOW, content + " bytes of items: too few windows to read ahead");

            ItemPrefetch prefetch = new ItemPrefetch(v, plan, WINDOW, WINDOW);
            prefetch.follow(order);
            for (int p = 0; p < order.length; p++) {
                assertItem(v, plan, prefetch, order, p);
            }
            // A jump back, then forward past the window read ahead: both copied right.
            prefetch.follow(order);
            assertItem(v, plan, prefetch, order, 0);
            assertItem(v, plan, prefetch, order, order.length / 2);
            assertItem(v, plan, prefetch, order, order.length / 3);
            assertItem(v, plan, prefetch, order, order.length - 1);
            // Plan order while a window of the address order is being read ahead.
            prefetch.follow(order);
            assertItem(v, plan, prefetch, order, 0);
            prefetch.follow(null);
            assertPlanOrder(v, plan, prefetch);
            // -w's plan order strews items over the metadata: in windows each would fetch about all of it, so the
            // stretch is read once by address into a local spill, which then serves every item.
            assertTrue(ItemSpill.worthIt(plan, 0, plan.items(), WINDOW, v.mergeGap()));
            long before = v.readCounts().bytes();
            try (ItemPrefetch spilling = new ItemPrefetch(v, plan, WINDOW, WINDOW)) {
                assertPlanOrder(v, plan, spilling);
                assertTrue(spilling.spills(), "served from a spill");
            }
            long fetched = v.readCounts().bytes() - before - content; // minus asRead's own reads
            long once = AddressOrder.mergedBytes(plan, order, v.mergeGap());
            assertTrue(fetched <= once, fetched + " bytes fetched; reading each item once by address: " + once);
            // The default mode's plan is in address order: read ahead in plan order too.
            ItemPlan byExtentTree = Planner.plan(v, false);
            for (int i = 1; i < byExtentTree.items(); i++) {
                assertTrue(Long.compareUnsigned(byExtentTree.start(i - 1), byExtentTree.start(i)) < 0);
            }
            assertPlanOrder(v, byExtentTree, new ItemPrefetch(v, byExtentTree, WINDOW, WINDOW));
        }
    }

    private static void assertPlanOrder(Volume v, ItemPlan plan, ItemPrefetch prefetch) throws Exception {
        for (int i = 0; i < plan.items(); i++) {
            if (plan.kind(i) == ItemPlan.METADATA || plan.kind(i) == ItemPlan.DATA) {
                byte[] out = new byte[plan.length(i)];
                assertTrue(prefetch.copy(i, plan.items(), out), "item " + i);
                assertArrayEquals(asRead(v, plan, i), out, "item " + i + " in plan order");
            }
        }
    }

    private static void assertItem(Volume v, ItemPlan plan, ItemPrefetch prefetch, int[] order, int position)
            throws Exception {
        int i = order[position];
        if (plan.kind(i) != ItemPlan.METADATA && plan.kind(i) != ItemPlan.DATA) {
            return;
        }
        byte[] out = new byte[plan.length(i)];
        assertTrue(prefetch.copy(position, order.length, out), "item " + i + " at " + position);
        assertArrayEquals(asRead(v, plan, i), out, "item " + i + " at position " + position);
    }

    private static byte[] asRead(Volume v, ItemPlan plan, int i) throws Exception {
        byte[] b = new byte[plan.length(i)];
        v.readLogical(plan.start(i), b, 0, b.length);
        return Arrays.copyOf(b, b.length);
    }
}
