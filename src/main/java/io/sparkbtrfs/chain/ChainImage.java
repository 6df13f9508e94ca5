package io.sparkbtrfs.chain;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import io.sparkbtrfs.dump.Codec;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.dump.PartWriter;
import io.sparkbtrfs.restore.Restorer;

/**
 * The uncompressed image of a chain's newest moment, made cluster by cluster as it is read, for
 * {@code restore-chain}: the restore reads it like an image file, and no intermediate image is written. Memory:
 * one cluster at a time; the contents come from the chain's spill file ({@link ChainContent}).
 */
final class ChainImage implements Restorer.GeneratedImage {
    private static final DumpSettings RAW = new DumpSettings(Codec.NONE);

    private final ChainContent content;
    private final int nodesize;
    private final List<String> links;

    ChainImage(ChainContent content, int nodesize, List<String> links) {
        this.content = content;
        this.nodesize = nodesize;
        this.links = List.copyOf(links);
    }

    @Override
    public String name() {
        return "the chain " + String.join(" + ", links);
    }

    @Override
    public List<String> sources() {
        return links;
    }

    @Override
    public InputStream open() throws IOException {
        return new Clusters(new PartWriter(content.items().open(), content.plan(), RAW, nodesize), content.plan());
    }

    /** The image's bytes, one cluster written ahead. */
    private static final class Clusters extends InputStream {
        private final PartWriter writer;
        private final ItemPlan plan;
        private final Bytes cluster = new Bytes();
        private int next;
        private long offset;
        private byte[] previousIndex;
        private int pos;

        Clusters(PartWriter writer, ItemPlan plan) {
            this.writer = writer;
            this.plan = plan;
        }

        /** Writes the next cluster; false at the end of the image. */
        private boolean fill() throws IOException {
            if (next >= plan.clusters()) {
                return false;
            }
            cluster.reset();
            PartResult r = writer.write(0, next, next + 1, cluster, null, offset, previousIndex);
            offset += r.length();
            previousIndex = r.lastIndex();
            next++;
            pos = 0;
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos == cluster.size()) {
                if (!fill()) {
                    return -1;
                }
            }
            int n = Math.min(len, cluster.size() - pos);
            System.arraycopy(cluster.array(), pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    /** A byte array output stream read back without a copy. */
    private static final class Bytes extends ByteArrayOutputStream {
        byte[] array() {
            return buf;
        }
    }
}
