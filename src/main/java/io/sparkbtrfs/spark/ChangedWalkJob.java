package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Supplier;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.ChangedBlocks;
import io.sparkbtrfs.dump.LiveBlocks;

/**
 * A delta's pruned walk on executors: once a wave of the driver's walk holds {@code minNodes} changed internal
 * nodes to read, tasks of {@code nodesPerTask} of them continue the walk under them ({@link ChangedBlocks#under})
 * and return primitive arrays. The driver checks and merges them ({@link ChangedBlocks}).
 */
public final class ChangedWalkJob {
    /**
     * Changed internal nodes in one wave from which executors continue the walk (default 1024: 16 MiB of nodes at
     * 16 KiB, as many blocks as a wave of the driver reads in about the time a Spark job takes to start).
     */
    public static final String MIN_NODES = "spark.btrfs.changedWalk.minNodes";
    /** Nodes of the wave per task (default 128). */
    public static final String NODES_PER_TASK = "spark.btrfs.changedWalk.nodesPerTask";

    private ChangedWalkJob() {
    }

    /** A spreader that starts Spark (through {@code spark}) only when a wave is large enough. */
    public static ChangedBlocks.Spreader spreader(Supplier<JavaSparkContext> spark, Volume volume,
            Configuration conf, SparkConf sparkConf) {
        int minNodes = Math.max(1, sparkConf.getInt(MIN_NODES, 1024));
        int perTask = Math.max(1, sparkConf.getInt(NODES_PER_TASK, 128));
        return new ChangedBlocks.Spreader() {
            private ReadCounts reads = ReadCounts.NONE;

            @Override
            public int minNodes() {
                return minNodes;
            }

            @Override
            public List<ChangedBlocks.Subtrees> walk(LiveBlocks live, long baseGeneration, long[] bytenrs,
                    int[] levels) {
                JavaSparkContext sc = spark.get();
                LongAccumulator requests = sc.sc().longAccumulator("pruned walk requests");
                LongAccumulator bytes = sc.sc().longAccumulator("pruned walk bytes");
                try {
                    return run(sc, conf, volume.descriptor(), live, baseGeneration, bytenrs, levels, perTask,
                            requests, bytes);
                } catch (RuntimeException e) { // SparkException, thrown from Scala undeclared
                    throw new UncheckedIOException(new IOException(SparkExecution.taskFailure(e,
                            volume.descriptor().primary()), e));
                } finally {
                    reads = reads.plus(new ReadCounts(requests.value(), bytes.value()));
                }
            }

            @Override
            public ReadCounts otherJvmReads() {
                return reads;
            }
        };
    }

    static List<ChangedBlocks.Subtrees> run(JavaSparkContext sc, Configuration conf, VolumeDescriptor volume,
            LiveBlocks live, long baseGeneration, long[] bytenrs, int[] levels, int perTask,
            LongAccumulator requests, LongAccumulator bytes) {
        Broadcast<LiveBlocks> bLive = sc.broadcast(live);
        Broadcast<long[]> bBytenrs = sc.broadcast(bytenrs);
        Broadcast<int[]> bLevels = sc.broadcast(levels);
        try {
            return VolumeTasks.run(sc, conf, volume, bytenrs.length, perTask,
                    "btrfs-image: pruned walk under " + bytenrs.length + " changed nodes", requests, bytes,
                    (v, from, to) -> ChangedBlocks.under(v, baseGeneration, bLive.value(), bBytenrs.value(),
                            bLevels.value(), from, to));
        } finally {
            bLive.destroy(true);
            bBytenrs.destroy(true);
            bLevels.destroy(true);
        }
    }
}
