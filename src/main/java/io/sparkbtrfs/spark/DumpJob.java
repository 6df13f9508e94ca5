package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import io.sparkbtrfs.dump.AddressOrder;
import io.sparkbtrfs.dump.DumpSummary;
import io.sparkbtrfs.dump.ItemProducer;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.PartMerge;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.dump.PartRunner;
import io.sparkbtrfs.dump.PartSpec;
import io.sparkbtrfs.store.ImageOutput;
import io.sparkbtrfs.store.SerializableConfiguration;

/**
 * The distributed dump: partitions are contiguous runs of clusters; each task writes its part under
 * the staging directory; the driver assembles the parts into the image, which the caller then commits. Because the plan
 * is fixed before any task runs, the bytes do not depend on partitioning, executors or retries.
 */
public final class DumpJob {
    /** Clusters hold up to ~21 MiB raw; aim for parts of this many content bytes when sizing automatically. */
    private static final long TARGET_PART_BYTES = 32L << 20;
    /**
     * Hadoop key: whether items strewn over the metadata area of a remote source are read once by address and
     * exchanged between tasks ({@link ItemExchange}); false: each part reads its own (to compare).
     */
    static final String EXCHANGE = "btrfs.read.exchange";

    private DumpJob() {
    }


    /** @param mergeGap the gap across which the volume's devices read ranges as one request ({@code Volume#mergeGap}) */
    public static DumpSummary run(JavaSparkContext sc, Configuration conf, VolumeDescriptor volume, long mergeGap,
            ItemPlan plan, DumpSettings settings, int wantedPartitions, ImageOutput output,
            PartRunner.ProgressListener progress) throws IOException {
        long started = System.nanoTime();
        boolean remote = volume.devices().values().stream().anyMatch(io.sparkbtrfs.device.BlockSources::isUri);
        int partitions = wantedPartitions > 0 ? wantedPartitions
                : autoPartitions(sc.defaultParallelism(), plan, remote);
        List<PartSpec> specs = PartSpec.split(plan, partitions, settings);
        // From a remote source, items strewn over the metadata area (-w) are read once by address and exchanged.
        int[][] exchange = remote && conf.getBoolean(EXCHANGE, true)
                ? AddressOrder.exchangeRuns(plan, specs, mergeGap) : null;
        int runs = specs.size();
        Broadcast<VolumeDescriptor> bVolume = sc.broadcast(volume);
        Broadcast<ItemPlan> bPlan = sc.broadcast(plan);
        LongAccumulator blocks = sc.sc().longAccumulator("tree blocks");
        LongAccumulator bytes = sc.sc().longAccumulator("content bytes");
        String direct = directTarget(sc, settings, output);
        Broadcast<DumpSettings> bSettings = sc.broadcast(settings); // -ss carries the trees' key boundaries
        PartTask task = new PartTask(bVolume, bPlan, bSettings, new SerializableConfiguration(conf),
                output.staging().toString(), blocks, bytes, direct, output.target());
        Thread poller = null;
        if (progress != null) {
            poller = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        progress.update(blocks.value(), bytes.value());
                        Thread.sleep(500);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "dump-progress");
            poller.setDaemon(true);
            poller.start();
        }
        List<PartResult> parts;
        List<ItemProducer.Report> producers = List.of();
        try {
            sc.setJobGroup("btrfs-image-dump", "btrfs-image: dump " + plan.clusters() + " clusters in " + runs
                    + " parts", true);
            if (exchange == null) {
                parts = new ArrayList<>(PartPlacement.rdd(sc, conf, volume, plan, specs).map(task::run).collect());
            } else {
                ItemExchange.Job job = ItemExchange.parts(sc, conf, volume, new ItemExchange.Producer(bVolume, bPlan,
                        bSettings, new SerializableConfiguration(conf)), specs, plan, exchange, task);
                parts = new ArrayList<>(job.parts().collect());
                producers = job.producerReports();
            }
            // Blocking: an asynchronous removal still waiting for executors when the context stops makes
            // Spark print RejectedExecutionException traces on standalone masters. Only after success: tasks of
            // a cancelled job may still be starting, and would trip over a destroyed broadcast (the context's
            // stop removes them anyway).
            bVolume.destroy(true);
            bPlan.destroy(true);
            bSettings.destroy(true);
        } finally {
            if (poller != null) {
                poller.interrupt();
            }
        }
        parts.sort(Comparator.comparingInt(PartResult::part));
        if (progress != null) {
            progress.update(blocks.value(), bytes.value());
        }
        long length = PartMerge.first(parts, output, merges(sc, conf, plan, output, direct != null));
        DumpSummary summary = DumpSummary.of(parts, producers, plan, runs, (System.nanoTime() - started) / 1_000_000);
        if (summary.bytesOut() != length) {
            throw new IOException("the merge wrote " + length + " bytes, the parts hold " + summary.bytesOut());
        }
        return summary;
    }

    /**
     * Written in place, or else the first that applies of: S3 part copy (patched on executors, assembled
     * server-side when the output is committed), HDFS concat, streaming the staged parts through the driver.
     */
    private static List<PartMerge> merges(JavaSparkContext sc, Configuration conf, ItemPlan plan, ImageOutput output,
            boolean inPlace) throws IOException {
        if (inPlace) {
            return List.of(PartMerge.inPlace(plan));
        }
        FileSystem stagingFs = output.stagingFileSystem();
        Path staging = output.staging();
        return List.of(new S3Merge(sc, conf), new HdfsConcatMerge(sc, conf), PartMerge.streaming(i -> {
            InputStream in = stagingFs.open(new Path(staging, PartTask.partName(i)));
            return new java.io.BufferedInputStream(in, 1 << 20);
        }));
    }

    /**
     * The local file that tasks write uncompressed clusters into at their final offsets, skipping the merge
     * copy: only when every executor runs on this machine (local and local-cluster masters).
     */
    private static String directTarget(JavaSparkContext sc, DumpSettings settings, ImageOutput output) {
        if (!SparkSessions.onThisHost(sc.master()) || output.isStreamed() || !settings.codec().raw()
                || !io.sparkbtrfs.store.Storage.isLocal(output.temporary())) {
            return null;
        }
        return java.nio.file.Paths.get(output.temporary().toUri()).toString();
    }

    /**
     * Enough parts to keep every core busy to the end (many small parts: the last ones to finish leave
     * little idle time, which matters when compression makes every part CPU-bound), never tiny ones, and
     * none beyond 256 MiB of content. From a remote device ({@code remote}), one part per core up to that size:
     * a part's reads are merged across gaps into large requests, fewer parts make fewer and larger ones. (In -w
     * order a part's items are strewn over the whole metadata area, so each part read its own from all of it: bench
     * names:100000, 87 MiB of tree blocks, 3 parts fetched 257 MiB, 2 fetched 171 MiB; now an exchange reads each
     * block once, {@link ItemExchange}.)
     */
    static int autoPartitions(int parallelism, ItemPlan plan, boolean remote) {
        long bytes = plan.contentBytes(0, plan.clusters());
        long bySize = (bytes + TARGET_PART_BYTES - 1) / TARGET_PART_BYTES;
        long wanted = remote ? parallelism : Math.max(parallelism, Math.min(bySize, 16L * parallelism));
        wanted = Math.max(wanted, bySize / 8);
        return (int) Math.max(1, Math.min(wanted, plan.clusters()));
    }
}
