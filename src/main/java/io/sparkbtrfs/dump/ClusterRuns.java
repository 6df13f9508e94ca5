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
        int clusters = plan.clusters();
        int runs = Math.max(1, Math.min(wanted, clusters));
        long total = plan.contentBytes(0, clusters);
        int[] bounds = new int[runs + 1];
        int r = 1;
        long acc = 0;
        for (int c = 0; c < clusters && r < runs; c++) {
            acc += plan.contentBytes(c, c + 1);
            // Close run r-1 once it holds its share, leaving at least one cluster per remaining run.
            if (acc * runs >= total * r && clusters - (c + 1) >= runs - r) {
                bounds[r++] = c + 1;
            }
        }
        while (r < runs) {
            bounds[r] = bounds[r - 1] + 1;
            r++;
        }
        bounds[runs] = clusters;
        return bounds;
    }
}
