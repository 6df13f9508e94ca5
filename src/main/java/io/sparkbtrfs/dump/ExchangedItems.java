package io.sparkbtrfs.dump;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * A part's items as producers made them ({@link ItemProducer}) and an exchange delivered them, in plan order:
 * the content the part would have read, scrubbed and sanitized itself, so the part's bytes are the same. Records
 * come from the plan. What producing cost and found is in the producers' reports, not here. Not thread-safe.
 */
public final class ExchangedItems implements ItemSource {
    private final ItemPlan plan;
    private final Iterator<? extends Map.Entry<Integer, byte[]>> delivered;

    /** {@code delivered}: the part's items but records, each once, in ascending order of item. */
    public ExchangedItems(ItemPlan plan, Iterator<? extends Map.Entry<Integer, byte[]>> delivered) {
        this.plan = plan;
        this.delivered = delivered;
    }

    @Override
    public byte[] contentInto(int i) throws IOException {
        if (plan.kind(i) == ItemPlan.RECORD) {
            return plan.record(i);
        }
        if (!delivered.hasNext()) {
            throw new IOException("item " + i + " of the plan did not come through the exchange");
        }
        Map.Entry<Integer, byte[]> item = delivered.next();
        if (item.getKey() != i || item.getValue().length != plan.length(i)) {
            throw new IOException("the exchange delivered item " + item.getKey() + " (" + item.getValue().length
                    + " bytes) where item " + i + " (" + plan.length(i) + " bytes) was due");
        }
        return item.getValue();
    }
}
