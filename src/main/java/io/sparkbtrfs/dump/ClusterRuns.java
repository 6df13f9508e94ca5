package io.sparkbtrfs.dump;

/** Splits a plan's clusters into contiguous runs of roughly equal content size (the job's partitions). */
public final class ClusterRuns {
    private ClusterRuns() {
    }

    /**
     * Returns run boundaries {@code b} with {@code b[0] = 0}, {@code b[last] = clusters}: run {@code i} is
     * clusters [b[i], b[i+1]). At most {@code wanted} runs, never an empty one.
     */
    public static int[] split(ItemPlan plan, int wanted) {
        int[] every = new int[plan.clusters() + 1];
        for (int c = 0; c < every.length; c++) {
            every[c] = c;
        }
        return split(plan, wanted, every);
    }

    /**
     * As {@link #split(ItemPlan, int)}, runs made of whole units: unit {@code u} is clusters
     * [units[u], units[u+1]) (the frames of a stream image), so every boundary is one of {@code units}.
     */
    public static int[] split(ItemPlan plan, int wanted, int[] units) {
        int count = units.length - 1;
        int runs = Math.max(1, Math.min(wanted, count));
        long total = plan.contentBytes(0, plan.clusters());
        int[] bounds = new int[runs + 1];
        int r = 1;
        long acc = 0;
        for (int u = 0; u < count && r < runs; u++) {
            acc += plan.contentBytes(units[u], units[u + 1]);
            // Close run r-1 once it holds its share, leaving at least one unit per remaining run.
            if (acc * runs >= total * r && count - (u + 1) >= runs - r) {
                bounds[r++] = u + 1;
            }
        }
        while (r < runs) {
            bounds[r] = bounds[r - 1] + 1;
            r++;
        }
        bounds[runs] = count;
        for (int i = 0; i <= runs; i++) {
            bounds[i] = units[bounds[i]];
        }
        return bounds;
    }
}
