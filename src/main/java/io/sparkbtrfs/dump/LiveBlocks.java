package io.sparkbtrfs.dump;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The tree-block items of a full dump's plan, by start (ascending) with their lengths: what the pruned walk may
 * visit ({@link ChangedBlocks}). Serializable, as primitive arrays, for the executors that continue the walk.
 */
public final class LiveBlocks implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long[] starts;
    private final int[] lengths;

    private LiveBlocks(long[] starts, int[] lengths) {
        this.starts = starts;
        this.lengths = lengths;
    }

    /** The tree-block items of {@code full}. */
    public static LiveBlocks of(ItemPlan full) {
        int n = 0;
        for (int i = 0; i < full.items(); i++) {
            n += full.kind(i) == ItemPlan.METADATA ? 1 : 0;
        }
        long[] sorted = new long[n];
        int[] index = new int[n];
        long[] starts = new long[n];
        for (int i = 0, k = 0; i < full.items(); i++) {
            if (full.kind(i) == ItemPlan.METADATA) {
                starts[k] = full.start(i);
                sorted[k] = full.start(i);
                index[k++] = i;
            }
        }
        Arrays.sort(sorted);
        int[] lengths = new int[n];
        for (int k = 0; k < n; k++) {
            lengths[Arrays.binarySearch(sorted, starts[k])] = full.length(index[k]);
        }
        return new LiveBlocks(sorted, lengths);
    }

    /** Whether a tree-block item holds {@code bytenr}. */
    public boolean holds(long bytenr) {
        int k = Arrays.binarySearch(starts, bytenr);
        if (k < 0) {
            k = -k - 2;
        }
        return k >= 0 && bytenr - starts[k] < lengths[k];
    }
}
