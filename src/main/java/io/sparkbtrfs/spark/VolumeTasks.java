package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.ExtentScan;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.store.SerializableConfiguration;

/**
 * A planning job over {@code n} elements (extent-tree leaves, changed nodes): runs of {@code perTask} elements, a
 * task each, on executors that attach the source's volume; what their reads cost is added to two accumulators.
 */
final class VolumeTasks {
    /** What a task does with its run {@code [from, to)}; captures only serializable values (broadcasts). */
    @FunctionalInterface
    interface Task<T> extends Serializable {
        T run(Volume volume, int from, int to) throws IOException, BtrfsFormatException;
    }

    private VolumeTasks() {
    }

    static <T> List<T> run(JavaSparkContext sc, Configuration conf, VolumeDescriptor volume, int n, int perTask,
            String description, LongAccumulator requests, LongAccumulator bytes, Task<T> task) {
        int[] bounds = ExtentScan.runs(n, perTask);
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i + 1 < bounds.length; i++) {
            runs.add(new int[] {bounds[i], bounds[i + 1]});
        }
        Broadcast<VolumeDescriptor> bVolume = sc.broadcast(volume);
        SerializableConfiguration sconf = new SerializableConfiguration(conf);
        try {
            sc.setJobGroup("btrfs-image-plan", description, true);
            return sc.parallelize(runs, runs.size()).map(r -> {
                SourceWarmup.awaitInExecutor();
                try (Volume v = Volume.attach(bVolume.value(), sconf.get())) {
                    T result = task.run(v, r[0], r[1]);
                    ReadCounts c = v.readCounts();
                    requests.add(c.requests());
                    bytes.add(c.bytes());
                    return result;
                } catch (IOException | BtrfsFormatException e) {
                    throw new DumpTaskException("cannot open the source: " + e.getMessage(), e);
                }
            }).collect();
        } finally {
            bVolume.destroy(true);
        }
    }
}
