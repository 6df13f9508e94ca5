package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Issue 16, without Spark: a producer of an exchange, reading a -w plan's items by address from a source that
 * prefers batches (a {@code file:} URI through Hadoop, as a remote store is read), gives every item the content a
 * part writer reads for it, in a few large requests.
 */
class ItemProducerTest {
    @Test
    void itemsByAddressHaveThePartsContentAndAreReadInFewRequests(@TempDir Path dir) throws Exception {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(16).fileCount(3000).generate(dir.resolve("tree"));
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).nodesize(4096).rootdir(dir.resolve("tree"))
                .run();
        Configuration conf = new Configuration();
        try (Volume v = Volume.open(List.of(fs.toUri().toString()), conf)) {
            assertTrue(v.prefersBatches(), "a file: URI is read as a remote store is");
            ItemPlan plan = Planner.plan(v, true);
            DumpSettings settings = new DumpSettings(Codec.NONE);
            int[] order = AddressOrder.byAddress(plan, 0, plan.items());
            assertEquals(plan.items(), order.length);
            try (PartWriter part = new PartWriter(v, plan, settings);
                    ItemProducer producer = ItemProducer.attach(v.descriptor(), conf, plan, settings, order)) {
                for (int i : order) {
                    assertEquals(i, producer.nextItem());
                    assertArrayEquals(part.content(i), producer.next(), "item " + i);
                }
                ItemProducer.Report report = producer.report();
                assertTrue(report.problems().isEmpty(), report.problems().toString());
                long blocks = plan.metadataBlocks(v.superblock().nodesize());
                assertTrue(report.reads().requests() * 20 < blocks,
                        report.reads().requests() + " requests for " + blocks + " tree blocks");
            }
            // Under zlib a producer gives each item's zlib stream, the very bytes the part would write for it.
            DumpSettings zlib = new DumpSettings(new Codec.Zlib(3));
            java.util.zip.Deflater deflater = new java.util.zip.Deflater();
            try (PartWriter part = new PartWriter(v, plan, zlib);
                    ItemProducer producer = ItemProducer.attach(v.descriptor(), conf, plan, zlib, order)) {
                for (int i : order) {
                    byte[] stream = producer.next();
                    assertArrayEquals(io.sparkbtrfs.image.ZlibCodec.compress(part.content(i), 3, deflater), stream,
                            "item " + i);
                    assertArrayEquals(part.content(i), io.sparkbtrfs.image.ZlibCodec.decompress(stream, plan.length(i)),
                            "item " + i);
                }
            } finally {
                deflater.end();
            }
        }
    }
}
