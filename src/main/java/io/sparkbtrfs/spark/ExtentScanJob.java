package io.sparkbtrfs.spark;

import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.ExtentScan;

/**
 * Planning of huge filesystems: the driver reads the extent tree's internal nodes and executors scan runs
 * of its leaves, returning compact arrays of tree-block extents ({@link ExtentScan}). Below
 * {@code minLeaves} leaves the driver scans them itself: a Spark job costs more than reading a few
 * thousand blocks.
 */
public final class ExtentScanJob {
    /** Leaves from which executors scan the extent tree (default 1024: 16 MiB of leaves at 16 KiB). */
    public static final String MIN_LEAVES = "spark.btrfs.extentScan.minLeaves";
    /** Leaves per task (default 256). */
    public static final String LEAVES_PER_TASK = "spark.btrfs.extentScan.leavesPerTask";

    private ExtentScanJob() {
    }

    /** A scanner that starts Spark (through {@code spark}) only when the tree is large enough. */
    public static ExtentScan.Scanner scanner(java.util.function.Supplier<JavaSparkContext> spark, Volume volume,
            Configuration conf, org.apache.spark.SparkConf sparkConf) {
        int minLeaves = sparkConf.getInt(MIN_LEAVES, 1024);
        int perTask = Math.max(1, sparkConf.getInt(LEAVES_PER_TASK, 256));
        ExtentScan.Scanner local = ExtentScan.local(volume);
        return new ExtentScan.Scanner() {
            private ReadCounts reads = ReadCounts.NONE;

            @Override
            public List<ExtentScan.Result> scan(long[] leaves)
                    throws io.sparkbtrfs.format.BtrfsFormatException, io.sparkbtrfs.device.BlockReadException {
                if (leaves.length < minLeaves) {
                    return local.scan(leaves);
                }
                JavaSparkContext sc = spark.get();
                LongAccumulator requests = sc.sc().longAccumulator("extent scan requests");
                LongAccumulator bytes = sc.sc().longAccumulator("extent scan bytes");
                List<ExtentScan.Result> results = run(sc, conf, volume.descriptor(), leaves, perTask, requests, bytes);
                reads = reads.plus(new ReadCounts(requests.value(), bytes.value()));
                return results;
            }

            @Override
            public ReadCounts otherJvmReads() {
                return reads;
            }
        };
    }

    /** The scan on executors; what their reads cost is added to {@code requests} and {@code bytes}. */
    static List<ExtentScan.Result> run(JavaSparkContext sc, Configuration conf, VolumeDescriptor volume,
            long[] leaves, int perTask, LongAccumulator requests, LongAccumulator bytes) {
        Broadcast<long[]> bLeaves = sc.broadcast(leaves);
        try {
            return VolumeTasks.run(sc, conf, volume, leaves.length, perTask,
                    "btrfs-image: scan " + leaves.length + " extent-tree leaves", requests, bytes,
                    (v, from, to) -> ExtentScan.scan(v, bLeaves.value(), from, to, ExtentScan.FIRST_BYTENR));
        } finally {
            bLeaves.destroy(true);
        }
    }
}
