package io.sparkbtrfs.dump;

import java.util.Arrays;
import java.util.List;

import io.sparkbtrfs.format.UnsignedSearch;

/**
 * Whether a plan's items should be read once by address and exchanged between tasks rather than read by the part
 * that writes them, and how to cut them for that (issue 16). A task reads its part's items in windows merged into
 * large requests across small gaps; in {@code -w} (walk) order a part's tree blocks are strewn over the whole
 * metadata area, so every part fetches about all of it from a remote store (bench names:100000, 87 MiB of tree
 * blocks: two parts fetched 172 MiB, three 257 MiB). Items taken by address in disjoint runs fetch each block once.
 * In the default mode's order (the extent tree's) parts are already runs of addresses: nothing to gain.
 */
public final class AddressOrder {
    /** The exchange is used when the parts reading their own items would fetch this many times the bytes. */
    static final double WORTH = 1.25;

    private AddressOrder() {
    }

    /**
     * The items of {@code plan} that come from the source (all but records), sorted by address and cut into runs of
     * about equal content, one per part; or null when reading each part's items on its own would not fetch
     * notably more ({@link #WORTH}; reads merged across gaps of up to {@code gap} bytes, as the store merges them),
     * or there is one part.
     */
    public static int[][] exchangeRuns(ItemPlan plan, List<PartSpec> parts, long gap) {
        if (parts.size() < 2) {
            return null;
        }
        int[] all = byAddress(plan, 0, plan.items());
        long once = mergedBytes(plan, all, gap);
        long separately = 0;
        for (PartSpec p : parts) {
            separately += mergedBytes(plan, byAddress(plan, p.firstItem(plan), p.endItem(plan)), gap);
        }
        if (separately <= WORTH * once) {
            return null;
        }
        return cut(plan, all, parts.size());
    }

    /** {@code sorted} cut into {@code runs} consecutive runs of about equal content (the last ones may be empty). */
    static int[][] cut(ItemPlan plan, int[] sorted, int runs) {
        long total = 0;
        for (int i : sorted) {
            total += plan.length(i);
        }
        int[][] out = new int[runs][];
        int from = 0;
        long done = 0;
        for (int r = 0; r < runs; r++) {
            long goal = total * (r + 1) / runs;
            int to = from;
            while (to < sorted.length && (r == runs - 1 || done + plan.length(sorted[to]) / 2 <= goal)) {
                done += plan.length(sorted[to]);
                to++;
            }
            out[r] = Arrays.copyOfRange(sorted, from, to);
            from = to;
        }
        return out;
    }

    /** The items in [from, to) but records, in ascending (unsigned) order of start; items of one start in plan order. */
    static int[] byAddress(ItemPlan plan, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += plan.kind(i) == ItemPlan.RECORD ? 0 : 1;
        }
        long[] starts = new long[n];
        for (int i = from, k = 0; i < to; i++) {
            if (plan.kind(i) != ItemPlan.RECORD) {
                starts[k++] = plan.start(i) ^ Long.MIN_VALUE; // signed order of these is the starts' unsigned order
            }
        }
        Arrays.sort(starts);
        for (int k = 0; k < n; k++) {
            starts[k] ^= Long.MIN_VALUE;
        }
        int[] order = new int[n];
        int[] taken = new int[n]; // per first position of a run of equal starts: how many of them are placed
        for (int i = from; i < to; i++) {
            if (plan.kind(i) != ItemPlan.RECORD) {
                int p = UnsignedSearch.lowerBound(starts, plan.start(i));
                order[p + taken[p]++] = i;
            }
        }
        return order;
    }

    /**
     * Bytes that reading {@code sorted} (by address) fetches with ranges merged across gaps of up to {@code gap}: by
     * logical address, which the chunk map keeps in order within a chunk.
     */
    static long mergedBytes(ItemPlan plan, int[] sorted, long gap) {
        long bytes = 0;
        long runStart = 0;
        long runEnd = 0;
        boolean open = false;
        for (int i : sorted) {
            long start = plan.start(i);
            long end = start + plan.length(i);
            if (open && Long.compareUnsigned(start, runEnd + gap) <= 0) {
                if (Long.compareUnsigned(end, runEnd) > 0) {
                    runEnd = end;
                }
                continue;
            }
            bytes += open ? runEnd - runStart : 0;
            runStart = start;
            runEnd = end;
            open = true;
        }
        return bytes + (open ? runEnd - runStart : 0);
    }
}
