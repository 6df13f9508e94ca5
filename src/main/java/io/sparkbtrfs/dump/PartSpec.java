package io.sparkbtrfs.dump;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** One part of an image: its number and the run of clusters [fromCluster, toCluster) it writes. */
public record PartSpec(int part, int fromCluster, int toCluster) implements Serializable {
    public PartSpec {
        if (part < 0 || fromCluster < 0 || toCluster < fromCluster) {
            throw new IllegalArgumentException("part " + part + ": clusters [" + fromCluster + ", " + toCluster + ")");
        }
    }

    /** The first item of this part in {@code plan}. */
    public int firstItem(ItemPlan plan) {
        return plan.firstItem(fromCluster);
    }

    /** The item after the last of this part in {@code plan}. */
    public int endItem(ItemPlan plan) {
        return toCluster > fromCluster ? plan.endItem(toCluster - 1) : plan.firstItem(fromCluster);
    }

    /**
     * The plan's clusters as at most {@code wanted} contiguous parts of about equal content ({@link ClusterRuns});
     * for stream images whole frames ({@link StreamFrames}), so that the bytes do not depend on the partitioning.
     */
    public static List<PartSpec> split(ItemPlan plan, int wanted, DumpSettings settings) {
        int[] bounds = settings.codec() instanceof Codec.Zstd z
                ? ClusterRuns.split(plan, wanted, StreamFrames.bounds(plan, z.frameBytes()))
                : ClusterRuns.split(plan, wanted);
        List<PartSpec> specs = new ArrayList<>(bounds.length - 1);
        for (int i = 0; i + 1 < bounds.length; i++) {
            specs.add(new PartSpec(i, bounds[i], bounds[i + 1]));
        }
        return specs;
    }
}
