package io.sparkbtrfs.restore;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A test-side reader and writer of the metadump format (spec §2), independent of the code under test, for
 * taking real images apart and building damaged ones: 1024-byte index blocks (magic, own offset, nritems,
 * compress flag, 12-byte entries), payloads back to back, zero padding to the next 1024-byte boundary.
 */
final class MetadumpFile {
    static final long MAGIC_V0 = 0xbd5c25e27295668bL;
    static final int INDEX = 1024;

    /** One item: its logical address, stored size, and where its payload starts in the file. */
    record Item(long bytenr, int size, long payloadOffset) {
        long payloadEnd() {
            return payloadOffset + size;
        }
    }

    /** One cluster: where it starts, its header fields, its items, and where the next cluster starts. */
    record Cluster(long offset, long magic, int compress, List<Item> items, long next) {
    }

    /** An item to write: logical address and payload as stored. */
    record Entry(long bytenr, byte[] payload) {
    }

    private MetadumpFile() {
    }

    static List<Cluster> parse(byte[] image) {
        List<Cluster> out = new ArrayList<>();
        long off = 0;
        while (off + INDEX <= image.length) {
            ByteBuffer b = ByteBuffer.wrap(image, (int) off, INDEX).slice().order(ByteOrder.LITTLE_ENDIAN);
            long magic = b.getLong(0);
            if (b.getLong(8) != off) {
                throw new IllegalArgumentException("cluster at " + off + " claims " + b.getLong(8));
            }
            int n = b.getInt(16);
            int compress = b.get(20) & 0xff;
            List<Item> items = new ArrayList<>();
            long p = off + INDEX;
            for (int i = 0; i < n; i++) {
                long bytenr = b.getLong(21 + 12 * i);
                int size = b.getInt(29 + 12 * i);
                items.add(new Item(bytenr, size, p));
                p += Integer.toUnsignedLong(size);
            }
            long next = align(p);
            out.add(new Cluster(off, magic, compress, List.copyOf(items), next));
            off = next;
        }
        return out;
    }

    /** Payloads of every cluster, in order, as {@link Entry} lists (for rebuilding with changes). */
    static List<List<Entry>> entries(byte[] image) {
        List<List<Entry>> out = new ArrayList<>();
        for (Cluster c : parse(image)) {
            List<Entry> l = new ArrayList<>();
            for (Item it : c.items()) {
                l.add(new Entry(it.bytenr(), Arrays.copyOfRange(image, (int) it.payloadOffset(),
                        (int) it.payloadEnd())));
            }
            out.add(l);
        }
        return out;
    }

    /** Writes clusters of the given entries (any count per cluster up to 83), all with the same flag. */
    static byte[] build(long magic, int compress, List<List<Entry>> clusters) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (List<Entry> c : clusters) {
            long off = out.size();
            ByteBuffer idx = ByteBuffer.allocate(INDEX).order(ByteOrder.LITTLE_ENDIAN);
            idx.putLong(0, magic).putLong(8, off).putInt(16, c.size()).put(20, (byte) compress);
            for (int i = 0; i < c.size(); i++) {
                idx.putLong(21 + 12 * i, c.get(i).bytenr()).putInt(29 + 12 * i, c.get(i).payload().length);
            }
            out.writeBytes(idx.array());
            for (Entry e : c) {
                out.writeBytes(e.payload());
            }
            out.writeBytes(new byte[(int) (align(out.size()) - out.size())]);
        }
        return out.toByteArray();
    }

    static long align(long p) {
        return (p + INDEX - 1) / INDEX * INDEX;
    }

    static byte[] zlib(byte[] content, int level) {
        Deflater d = new Deflater(level);
        try {
            d.setInput(content);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    static byte[] inflate(byte[] payload) {
        Inflater inf = new Inflater();
        try {
            inf.setInput(payload);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new IllegalArgumentException("truncated zlib stream");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalArgumentException(e);
        } finally {
            inf.end();
        }
    }
}
