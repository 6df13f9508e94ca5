package io.sparkbtrfs.chain;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.zip.DataFormatException;

import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.ItemSource;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * The content of the newest link's full plan, gathered from the chain into a local spill file laid out in plan
 * order (item i at the sum of the lengths before it): every link is streamed once, oldest first, and each of its
 * items is copied where the plan holds its addresses, so that a newer link's copy of an address replaces an
 * older one. Memory: the plan and an index of it (about 30 bytes an item) and a bit per 4 KiB of content; disk:
 * the plan's content, uncompressed. Afterwards, every 4 KiB of the plan must have come from some link, and every
 * tree block must be sound (its address, checksum and fsid): otherwise a link is missing or damaged.
 */
public final class ChainContent implements AutoCloseable {
    private static final int GRANULE = 4096;

    private final Chain chain;
    private final ItemPlan plan;
    private final long[] offsets;
    /** Item starts, ascending, and the item each belongs to. */
    private final long[] sorted;
    private final int[] order;
    private final BitSet filled = new BitSet();
    private final Path file;
    private final FileChannel channel;
    private long copied;

    private ChainContent(Chain chain, Path dir) throws IOException {
        this.chain = chain;
        this.plan = chain.plan();
        int n = plan.items();
        offsets = new long[n + 1];
        sorted = new long[n];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + plan.length(i);
            sorted[i] = plan.start(i);
        }
        Arrays.sort(sorted);
        order = new int[n];
        for (int i = 0; i < n; i++) {
            order[Arrays.binarySearch(sorted, plan.start(i))] = i;
        }
        file = Files.createTempFile(dir, ".btrfs-image-chain-", ".spill");
        file.toFile().deleteOnExit();
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** Gathers the chain's content into a spill file in {@code dir}, and checks it is whole and sound. */
    public static ChainContent gather(Chain chain, Path dir) throws ChainException, IOException {
        ChainContent c = new ChainContent(chain, dir);
        try {
            checkOverlaps(c);
            for (Chain.Link link : chain.links()) {
                c.stream(link);
            }
            c.checkWhole();
            c.checkBlocks();
            return c;
        } catch (ChainException | IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static void checkOverlaps(ChainContent c) throws ChainException {
        for (int k = 1; k < c.sorted.length; k++) {
            int prev = c.order[k - 1];
            if (c.sorted[k - 1] < 0 || c.sorted[k - 1] + c.plan.length(prev) > c.sorted[k]) {
                throw new ChainException(c.chain.newest().describe() + ": its plan's items overlap at "
                        + Long.toUnsignedString(c.sorted[k]));
            }
        }
    }

    public ItemPlan plan() {
        return plan;
    }

    /** Content bytes copied from the links (older copies overwritten included). */
    public long copied() {
        return copied;
    }

    private void stream(Chain.Link link) throws ChainException, IOException {
        int records = link.head().isDelta() ? 1 + link.head().header().planRecords() : 0;
        int item = 0;
        try (InputStream in = new java.io.BufferedInputStream(chain.files().open(link.name()), 1 << 20)) {
            ImageReader reader = new ImageReader(in, link.name());
            ImageReader.Cluster c;
            while (true) {
                try {
                    c = reader.next();
                } catch (ImageFormatException e) {
                    throw new ChainException(link.describe() + ": " + e.getMessage());
                }
                if (c == null) {
                    break;
                }
                int limit = reader.version().itemLimit();
                for (int i = 0; i < c.size(); i++, item++) {
                    byte[] content;
                    try {
                        content = c.content(i, limit);
                    } catch (DataFormatException e) {
                        throw new ChainException(link.describe() + ": cluster at offset " + c.offset() + ", item " + i
                                + ": " + e.getMessage());
                    }
                    if (item >= records) {
                        copy(c.bytenrs()[i], content);
                    }
                }
            }
        } catch (IOException e) {
            throw new IOException(link.describe() + ": read error: " + e.getMessage(), e);
        }
    }

    /** Copies what the plan holds of the stored item at {@code start}. */
    private void copy(long start, byte[] content) throws IOException {
        long end = start + content.length;
        int k = Arrays.binarySearch(sorted, start);
        if (k < 0) {
            k = Math.max(0, -k - 2);
        }
        for (; k < sorted.length && sorted[k] < end; k++) {
            int t = order[k];
            long s = sorted[k];
            long from = Math.max(start, s);
            long to = Math.min(end, s + plan.length(t));
            if (from >= to) {
                continue;
            }
            long at = offsets[t] + (from - s);
            ByteBuffer b = ByteBuffer.wrap(content, (int) (from - start), (int) (to - from));
            while (b.hasRemaining()) {
                channel.write(b, at + b.position() - (int) (from - start));
            }
            copied += to - from;
            filled.set(granule(at), granule(at + (to - from) + GRANULE - 1));
        }
    }

    private static int granule(long offset) {
        long g = offset / GRANULE;
        if (g > Integer.MAX_VALUE - 1) {
            throw new IllegalStateException("a plan of more than 8 TiB of content");
        }
        return (int) g;
    }

    private void checkWhole() throws ChainException {
        int missing = filled.nextClearBit(0);
        long total = offsets[plan.items()];
        if ((long) missing * GRANULE >= total) {
            return;
        }
        long at = (long) missing * GRANULE;
        int item = Arrays.binarySearch(offsets, at);
        item = item >= 0 ? item : -item - 2;
        long address = plan.start(item) + (at - offsets[item]);
        throw new ChainException(chain.newest().describe() + ": the content at " + Long.toUnsignedString(address)
                + " (item " + item + " of its plan) is in no link of the chain: a link is missing");
    }

    /** Every tree block at its address, with its checksum and fsid: a damaged link is named by its address. */
    private void checkBlocks() throws ChainException, IOException {
        Superblock sb = chain.newest().head().superblock();
        int nodesize = sb.nodesize();
        byte[] buf = new byte[(int) MetadumpFormat.MAX_PENDING_V0];
        for (int i = 0; i < plan.items(); i++) {
            if (plan.kind(i) != ItemPlan.METADATA) {
                continue;
            }
            readFully(buf, offsets[i], plan.length(i));
            for (int off = 0; off < plan.length(i); off += nodesize) {
                long logical = plan.start(i) + off;
                String bad = TreeBlock.validate(buf, off, nodesize, logical, sb.checksumType(), sb.metadataFsid());
                if (bad != null) {
                    throw new ChainException("the chain's tree block at " + Long.toUnsignedString(logical) + " is "
                            + "damaged (" + bad + "): a link is damaged");
                }
            }
        }
    }

    private void readFully(byte[] buf, long at, int length) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, length);
        while (b.hasRemaining()) {
            if (channel.read(b, at + b.position()) < 0) {
                throw new IOException("spill file " + file + " ends early");
            }
        }
    }

    /** Item contents for the part writers (each its own buffer; the file is read at positions, thread-safe). */
    public ItemSource.Factory items() {
        return () -> new ItemSource() {
            private byte[] buf = new byte[0];

            @Override
            public byte[] contentInto(int i) throws IOException {
                if (buf.length < plan.length(i)) {
                    buf = new byte[Math.max(plan.length(i), buf.length * 2)];
                }
                readFully(buf, offsets[i], plan.length(i));
                return buf;
            }
        };
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // removing it is what matters
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // deleteOnExit remains
        }
    }
}
