package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;

import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.ExchangedItems;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.dump.PartSpec;
import io.sparkbtrfs.dump.PartWriter;
import io.sparkbtrfs.dump.RawLayout;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.store.OutputFile;
import io.sparkbtrfs.store.SerializableConfiguration;

/**
 * The executor side: writes one run of clusters as a part file, or in place into the image file when
 * offsets are known in advance (uncompressed, local). A part is committed by rename ({@link AttemptFile}); all
 * attempts write the same bytes.
 */
final class PartTask implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Broadcast<VolumeDescriptor> volume;
    private final Broadcast<ItemPlan> plan;
    /** Broadcast: with -ss it carries the key boundaries of every tree, too big to ship with each task. */
    private final Broadcast<DumpSettings> settings;
    private final SerializableConfiguration conf;
    private final String staging;
    private final LongAccumulator blocksDone;
    private final LongAccumulator bytesDone;
    /** Local path of the image file that tasks write their clusters into directly, or null: parts. */
    private final String direct;
    /** The image's target as the user named it, for write errors. */
    private final String target;

    PartTask(Broadcast<VolumeDescriptor> volume, Broadcast<ItemPlan> plan, Broadcast<DumpSettings> settings,
            SerializableConfiguration conf, String staging, LongAccumulator blocksDone, LongAccumulator bytesDone,
            String direct, String target) {
        this.volume = volume;
        this.plan = plan;
        this.settings = settings;
        this.conf = conf;
        this.staging = staging;
        this.blocksDone = blocksDone;
        this.bytesDone = bytesDone;
        this.direct = direct;
        this.target = target;
    }

    static String partName(int part) {
        return String.format("part-%05d", part);
    }

    PartResult run(PartSpec run) {
        SourceWarmup.awaitInExecutor();
        return direct != null ? runDirect(run, null) : runPart(run, null);
    }

    /**
     * Writes part {@code run} with the items an exchange delivers ({@link ItemExchange}: its items but records, in
     * plan order), reading nothing from the source.
     */
    PartResult runExchanged(PartSpec run, Iterator<? extends Map.Entry<Integer, byte[]>> items) {
        return direct != null ? runDirect(run, items) : runPart(run, items);
    }

    /** The volume the part reads its items from: none when an exchange delivers them ({@code exchanged}). */
    private Volume attach(Iterator<?> exchanged) throws IOException, BtrfsFormatException {
        return exchanged == null ? Volume.attach(volume.value(), conf.get()) : null;
    }

    private PartWriter writer(Volume v, Iterator<? extends Map.Entry<Integer, byte[]>> exchanged)
            throws BtrfsFormatException {
        if (v != null) {
            return new PartWriter(v, plan.value(), settings.value());
        }
        VolumeDescriptor d = volume.value();
        int nodesize = Superblock.parse(d.superblock(), d.primary()).nodesize();
        return new PartWriter(new ExchangedItems(plan.value(), exchanged, settings.value()), plan.value(), settings.value(),
                nodesize);
    }

    /**
     * Uncompressed clusters have offsets known from the plan: write them in place in the image file. A
     * retried or speculative attempt writes the same bytes at the same offsets.
     */
    private PartResult runDirect(PartSpec run, Iterator<? extends Map.Entry<Integer, byte[]>> exchanged) {
        ItemPlan p = plan.value();
        long base = RawLayout.of(p).clusterOffset(run.fromCluster());
        try {
            try (Volume v = attach(exchanged);
                    PartWriter writer = writer(v, exchanged);
                    FileChannel ch = FileChannel.open(java.nio.file.Path.of(direct), StandardOpenOption.WRITE);
                    OutputStream out = new java.io.BufferedOutputStream(
                            OutputFile.naming(Channels.newOutputStream(ch.position(base)), target), 1 << 20)) {
                PartResult result = writer.write(run.part(), run.fromCluster(), run.toCluster(), out, this::progress, base,
                        RawLayout.indexBefore(p, run.fromCluster()));
                out.flush();
                return result;
            }
        } catch (IOException | BtrfsFormatException e) {
            throw new DumpTaskException(e.getMessage(), e);
        } catch (org.apache.hadoop.fs.FSError e) {
            throw new DumpTaskException("unable to write " + target + ": " + e.getCause().getMessage(), e);
        }
    }

    private void progress(long blocks, long bytes) {
        blocksDone.add(blocks);
        bytesDone.add(bytes);
    }

    private PartResult runPart(PartSpec run, Iterator<? extends Map.Entry<Integer, byte[]>> exchanged) {
        try {
            return AttemptFile.write(new Path(staging), partName(run.part()), conf.get(), (fs, tmp) -> {
                try (Volume v = attach(exchanged);
                        PartWriter writer = writer(v, exchanged);
                        OutputStream out = new java.io.BufferedOutputStream(
                                OutputFile.naming(fs.create(tmp, true), "staging part " + tmp), 1 << 20)) {
                    return writer.write(run.part(), run.fromCluster(), run.toCluster(), out, this::progress);
                } catch (org.apache.hadoop.fs.FSError e) {
                    throw new IOException("unable to write staging part " + tmp + ": " + e.getCause().getMessage(), e);
                }
            });
        } catch (IOException | BtrfsFormatException e) {
            throw new DumpTaskException(e.getMessage(), e);
        }
    }
}
