package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.dump.PartWriter;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.store.SerializableConfiguration;
import io.sparkbtrfs.store.Storage;

/**
 * The executor side: writes one run of clusters as a part file. The part is written under an
 * attempt-unique name and renamed into place, so a retried or speculative attempt can never leave a
 * torn or duplicated part; all attempts write the same bytes.
 */
final class PartTask implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Broadcast<VolumeDescriptor> volume;
    private final Broadcast<ItemPlan> plan;
    private final DumpSettings settings;
    private final SerializableConfiguration conf;
    private final String staging;
    private final LongAccumulator blocksDone;
    private final LongAccumulator bytesDone;

    PartTask(Broadcast<VolumeDescriptor> volume, Broadcast<ItemPlan> plan, DumpSettings settings,
            SerializableConfiguration conf, String staging, LongAccumulator blocksDone, LongAccumulator bytesDone) {
        this.volume = volume;
        this.plan = plan;
        this.settings = settings;
        this.conf = conf;
        this.staging = staging;
        this.blocksDone = blocksDone;
        this.bytesDone = bytesDone;
    }

    static String partName(int part) {
        return String.format("part-%05d", part);
    }

    PartResult run(int[] run) {
        int part = run[0];
        TaskContext ctx = TaskContext.get();
        String attempt = ctx == null ? "local" : ctx.taskAttemptId() + "-" + ctx.attemptNumber();
        Path dir = new Path(staging);
        Path tmp = new Path(dir, "_" + partName(part) + ".attempt-" + attempt);
        Path done = new Path(dir, partName(part));
        try {
            FileSystem fs = Storage.fileSystem(dir, conf.get());
            TestHooks.beforeWrite();
            PartResult result;
            try (Volume v = Volume.attach(volume.value(), conf.get());
                    PartWriter writer = new PartWriter(v, plan.value(), settings);
                    OutputStream out = new java.io.BufferedOutputStream(fs.create(tmp, true), 1 << 20)) {
                result = writer.write(part, run[1], run[2], out, (blocks, bytes) -> {
                    blocksDone.add(blocks);
                    bytesDone.add(bytes);
                });
            }
            TestHooks.beforeCommit(part);
            fs.delete(done, false);
            if (!fs.rename(tmp, done)) {
                throw new IOException("cannot rename " + tmp + " to " + done);
            }
            return result;
        } catch (IOException | BtrfsFormatException e) {
            try {
                Storage.fileSystem(dir, conf.get()).delete(tmp, false);
            } catch (IOException ignored) {
                // the staging directory is removed by the driver anyway
            }
            throw new DumpTaskException(e.getMessage(), e);
        }
    }
}
