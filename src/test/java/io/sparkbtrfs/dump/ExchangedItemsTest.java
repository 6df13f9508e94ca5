package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.Deflater;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.image.ZlibCodec;
import io.sparkbtrfs.testing.Fast;

/**
 * Under zlib an exchange carries each item's zlib stream, made by its producer: a part written from those streams
 * has the bytes of the part written from the items' contents (records, which come from the plan, included), and a
 * stream that cannot be the item's (empty, longer than any stream of its content, another item's) is refused.
 */
@Fast
class ExchangedItemsTest {
    private static final int NODESIZE = 4096;
    private static final int LEVEL = 6;

    @Test
    void aPartFromDeflatedItemsHasTheBytesOfThePartFromContents() throws IOException {
        PlanBuilder b = new PlanBuilder(NODESIZE);
        for (int k = 0; k < 40; k++) {
            b.add((1L << 20) + k * 3L * NODESIZE, NODESIZE, ItemPlan.METADATA); // gaps: one item per block
        }
        b.addRecord(0, 100);
        b.add(1L << 30, NODESIZE, ItemPlan.METADATA);
        byte[] record = new byte[100];
        new Random(1).nextBytes(record);
        ItemPlan plan = b.build(new byte[][] {record});
        byte[][] contents = new byte[plan.items()][];
        Random r = new Random(2);
        for (int i = 0; i < plan.items(); i++) {
            if (plan.kind(i) != ItemPlan.RECORD) {
                contents[i] = new byte[plan.length(i)];
                for (int j = 0; j < contents[i].length; j += 7) {
                    contents[i][j] = (byte) r.nextInt(4); // compressible, as scrubbed blocks are
                }
            }
        }
        DumpSettings zlib = new DumpSettings(new Codec.Zlib(LEVEL));
        ItemSource fromContents = i -> plan.kind(i) == ItemPlan.RECORD ? plan.record(i) : contents[i];
        List<Map.Entry<Integer, byte[]>> streams = new ArrayList<>();
        Deflater deflater = new Deflater();
        for (int i = 0; i < plan.items(); i++) {
            if (plan.kind(i) != ItemPlan.RECORD) {
                streams.add(Map.entry(i, ZlibCodec.compress(contents[i], LEVEL, deflater)));
            }
        }
        deflater.end();

        byte[] expected = part(new PartWriter(fromContents, plan, zlib, NODESIZE), plan);
        ExchangedItems exchanged = new ExchangedItems(plan, streams.iterator(), zlib);
        assertTrue(exchanged.deliversDeflated());
        assertArrayEquals(expected, part(new PartWriter(exchanged, plan, zlib, NODESIZE), plan));
        assertEquals(false, new ExchangedItems(plan, streams.iterator(), new DumpSettings(Codec.NONE)).deliversDeflated());
    }

    @Test
    void aStreamThatCannotBeTheItemsIsRefused() {
        PlanBuilder b = new PlanBuilder(NODESIZE);
        b.add(1L << 20, NODESIZE, ItemPlan.METADATA);
        ItemPlan plan = b.build();
        DumpSettings zlib = new DumpSettings(new Codec.Zlib(LEVEL));
        for (byte[] bad : new byte[][] {new byte[0], new byte[ZlibCodec.bound(NODESIZE) + 1]}) {
            ExchangedItems items = new ExchangedItems(plan, List.of(Map.entry(0, bad)).iterator(), zlib);
            IOException e = assertThrows(IOException.class, () -> items.contentInto(0));
            assertEquals("the exchange delivered item 0 (" + bad.length + " bytes) where item 0 (4096 bytes) was due",
                    e.getMessage());
        }
        ExchangedItems other = new ExchangedItems(plan, List.of(Map.entry(1, new byte[10])).iterator(), zlib);
        assertThrows(IOException.class, () -> other.contentInto(0));
    }

    private static byte[] part(PartWriter writer, ItemPlan plan) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PartWriter w = writer) {
            w.write(0, 0, plan.clusters(), out, null);
        }
        return out.toByteArray();
    }
}
