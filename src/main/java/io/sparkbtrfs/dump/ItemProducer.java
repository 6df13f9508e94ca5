package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.image.ZlibCodec;

/**
 * One task's share of an exchange (issue 16): a run of the plan's items in address order ({@link AddressOrder}),
 * each given exactly the content a part writer's {@link VolumeItems} would give it (validated, read again from
 * another copy if need be, salvaged and reported with best effort, scrubbed and sanitized), for the part that
 * holds it to take from the exchange ({@link ExchangedItems}). The read-ahead follows the address order, so its
 * windows merge into large requests and the run is fetched once. Not thread-safe.
 */
public final class ItemProducer implements AutoCloseable {
    /** What a producer did besides its items: for the dump's summary and report. */
    public record Report(Object transformStats, List<BlockProblem> problems, ReadCounts reads) implements Serializable {
    }

    private final Volume volume;
    private final ItemPlan plan;
    private final VolumeItems items;
    private final int[] order;
    private int next;
    /** Under zlib ({@link ExchangedItems#deflatedUnder}): the level, a deflater and its output; else null. */
    private final Codec.Zlib zlib;
    private final java.util.zip.Deflater deflater;
    private byte[] stream = new byte[0];

    private ItemProducer(Volume volume, ItemPlan plan, DumpSettings settings, int[] order) {
        this.volume = volume;
        this.plan = plan;
        this.order = order;
        this.items = new VolumeItems(volume, plan, settings);
        this.zlib = ExchangedItems.deflatedUnder(settings) ? (Codec.Zlib) settings.codec() : null;
        this.deflater = zlib == null ? null : new java.util.zip.Deflater(zlib.level());
        items.beginSequence(order);
    }

    /** The producer of items {@code order} (by address), on the volume of {@code d} attached now (closed with it). */
    public static ItemProducer attach(VolumeDescriptor d, Configuration conf, ItemPlan plan, DumpSettings settings,
            int[] order) throws IOException, BtrfsFormatException {
        Volume v = Volume.attach(d, conf);
        try {
            return new ItemProducer(v, plan, settings, order);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    public boolean hasNext() {
        return next < order.length;
    }

    /** The item {@link #next} produces. */
    public int nextItem() {
        return order[next];
    }

    /**
     * The next item's content, or under zlib its zlib stream ({@link ExchangedItems#deflatedUnder}), in an array of
     * exactly its length (the caller keeps it).
     */
    public byte[] next() throws IOException {
        int i = order[next++];
        int length = plan.length(i);
        if (zlib == null) {
            return Arrays.copyOf(items.contentInto(i), length);
        }
        stream = PartWriter.atLeast(stream, ZlibCodec.bound(length));
        return ZlibCodec.compress(items.contentInto(i), length, zlib.level(), deflater, stream);
    }

    /** What producing cost and found so far. */
    public Report report() {
        return new Report(items.taskStats(), List.copyOf(items.problems()), volume.readCounts());
    }

    @Override
    public void close() throws IOException {
        if (deflater != null) {
            deflater.end();
        }
        items.close();
        volume.close();
    }
}
