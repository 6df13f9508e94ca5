package io.sparkbtrfs.dump;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import io.sparkbtrfs.image.ZlibCodec;

/**
 * A part's items as producers made them ({@link ItemProducer}) and an exchange delivered them, in plan order:
 * the content the part would have read, scrubbed and sanitized itself, so the part's bytes are the same; under
 * zlib, each item's own zlib stream ({@link #deflatedUnder}), as the part would have deflated it. Records come from
 * the plan. What producing cost and found is in the producers' reports, not here. Not thread-safe.
 */
public final class ExchangedItems implements ItemSource {
    private final ItemPlan plan;
    private final Iterator<? extends Map.Entry<Integer, byte[]>> delivered;
    private final boolean deflated;
    /** Deflates records (which come from the plan, as content) when items are delivered deflated; else null. */
    private final java.util.zip.Deflater deflater;
    private final int level;

    /**
     * {@code delivered}: the part's items but records, each once, in ascending order of item; their zlib streams
     * when {@link #deflatedUnder} {@code settings}.
     */
    public ExchangedItems(ItemPlan plan, Iterator<? extends Map.Entry<Integer, byte[]>> delivered,
            DumpSettings settings) {
        this.plan = plan;
        this.delivered = delivered;
        this.deflated = deflatedUnder(settings);
        this.level = deflated ? ((Codec.Zlib) settings.codec()).level() : 0;
        this.deflater = deflated ? new java.util.zip.Deflater(level) : null;
    }

    /**
     * Whether producers deflate the items they exchange: under zlib each item is its own stream, so the producer,
     * which waits on the store anyway, compresses it, and the parts' stage only writes (measured on bench
     * names:100000, -w -c 1 from S3: parts 0.6 s instead of 1.0-1.1 s; the shuffle 31 MiB instead of 38 MiB of
     * lz4-compressed content). Zstd compresses a frame of many items as one stream: those items travel as content.
     */
    public static boolean deflatedUnder(DumpSettings settings) {
        return settings.codec() instanceof Codec.Zlib;
    }

    @Override
    public boolean deliversDeflated() {
        return deflated;
    }

    @Override
    public void close() {
        if (deflater != null) {
            deflater.end();
        }
    }

    @Override
    public byte[] contentInto(int i) throws IOException {
        if (plan.kind(i) == ItemPlan.RECORD) {
            return deflated ? ZlibCodec.compress(plan.record(i), plan.length(i), level, deflater) : plan.record(i);
        }
        if (!delivered.hasNext()) {
            throw new IOException("item " + i + " of the plan did not come through the exchange");
        }
        Map.Entry<Integer, byte[]> item = delivered.next();
        int length = item.getValue().length;
        if (item.getKey() != i || (deflated ? length == 0 || length > ZlibCodec.bound(plan.length(i))
                : length != plan.length(i))) {
            throw new IOException("the exchange delivered item " + item.getKey() + " (" + item.getValue().length
                    + " bytes) where item " + i + " (" + plan.length(i) + " bytes) was due");
        }
        return item.getValue();
    }
}
