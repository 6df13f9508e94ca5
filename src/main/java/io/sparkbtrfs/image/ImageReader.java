package io.sparkbtrfs.image;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import io.sparkbtrfs.format.LittleEndian;

/**
 * Streams the clusters of a metadump image without seeking. Every count and size is bounded before use:
 * nritems ≤ 83, a stored payload ≤ the version's maximum item size, and payloads are read incrementally
 * so that a lying size fails at end of file rather than allocating.
 */
public final class ImageReader {
    private final InputStream in;
    private final String name;
    private long offset;
    private long magic;
    private int compress = -1;

    public ImageReader(InputStream in, String name) {
        this.in = in;
        this.name = name;
    }

    /** One decoded cluster: where it starts, its compress flag, its items as stored. */
    public record Cluster(long offset, int compress, long[] bytenrs, byte[][] payloads, byte[] index) {
        public int size() {
            return bytenrs.length;
        }

        /** Item {@code i}'s content, inflated if the cluster is compressed, at most {@code limit} bytes. */
        public byte[] content(int i, int limit) throws DataFormatException {
            return switch (compress) {
                case MetadumpFormat.COMPRESS_ZLIB -> ZlibCodec.decompress(payloads[i], limit);
                case MetadumpFormat.COMPRESS_ZSTD -> ZstdCodec.decompress(payloads[i], limit);
                default -> payloads[i];
            };
        }

        /**
         * Streams item {@code i}'s content, at most {@code limit} bytes, through {@code piece} (its size a
         * multiple of the nodesize, so that pieces hold whole tree blocks): each piece is handed to {@code sink}
         * with its offset in the item, and may be changed by it. A zlib payload is inflated piece by piece, so
         * memory stays bounded whatever the limit; a payload that would inflate past it fails as soon as it does.
         * Returns the content length.
         */
        public <E extends Exception> long forEachPiece(int i, int limit, byte[] piece, Inflater inflater,
                PieceSink<E> sink) throws DataFormatException, E {
            if (compress != MetadumpFormat.COMPRESS_ZLIB) {
                byte[] content = content(i, limit);
                if (content.length <= piece.length) {
                    // The item's own array (a stored or freshly inflated payload, read once): no copy needed.
                    sink.piece(0, content, content.length);
                    return content.length;
                }
                for (int off = 0; off < content.length; off += piece.length) {
                    int len = Math.min(piece.length, content.length - off);
                    System.arraycopy(content, off, piece, 0, len);
                    sink.piece(off, piece, len);
                }
                return content.length;
            }
            inflater.reset();
            inflater.setInput(payloads[i]);
            long total = 0;
            while (!inflater.finished()) {
                int filled = fill(inflater, piece);
                if (total + filled > limit) {
                    throw new DataFormatException("payload inflates past " + limit + " bytes");
                }
                sink.piece(total, piece, filled);
                total += filled;
            }
            if (inflater.getRemaining() > 0) {
                throw new DataFormatException(inflater.getRemaining() + " stray bytes after the zlib stream");
            }
            return total;
        }

        /** Inflates until {@code piece} is full or the stream ends; returns how many bytes it holds. */
        private static int fill(Inflater inflater, byte[] piece) throws DataFormatException {
            int filled = 0;
            while (filled < piece.length && !inflater.finished()) {
                int n;
                try {
                    n = inflater.inflate(piece, filled, piece.length - filled);
                } catch (DataFormatException e) {
                    throw new DataFormatException("corrupted zlib payload (" + e.getMessage() + ")");
                }
                if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new DataFormatException("truncated or corrupted zlib payload");
                }
                filled += n;
            }
            return filled;
        }
    }

    /** Receives the pieces of an item's content, in order. */
    @FunctionalInterface
    public interface PieceSink<E extends Exception> {
        void piece(long offset, byte[] buf, int len) throws E;
    }

    public long magic() {
        return magic;
    }

    /** The largest stored payload this image's version allows. */
    public long maxItemSize() {
        return magic == MetadumpFormat.MAGIC_V1 ? MetadumpFormat.MAX_PENDING_V1 * 2 : MetadumpFormat.MAX_PENDING_V1;
    }

    /** The next cluster, or null at the end of the image. */
    public Cluster next() throws IOException, ImageFormatException {
        return next(bytenr -> true);
    }

    /**
     * The next cluster, with the payloads of items whose bytenr {@code keep} refuses skipped (null in
     * {@link Cluster#payloads()}): a pass that needs a few items does not copy the whole image.
     */
    public Cluster next(java.util.function.LongPredicate keep) throws IOException, ImageFormatException {
        byte[] index = in.readNBytes(MetadumpFormat.INDEX_SIZE);
        if (index.length < MetadumpFormat.INDEX_SIZE) {
            if (offset == 0) {
                throw new ImageFormatException(name + ": not a metadump image (shorter than one index block)");
            }
            if (index.length > 0 && startsWithMagic(index)) {
                throw new ImageFormatException(name + ": truncated: the index block at offset " + offset + " has only "
                        + index.length + " of " + MetadumpFormat.INDEX_SIZE + " bytes");
            }
            return null; // the end, or stray bytes shorter than an index block (ignored, as the reference does)
        }
        long m = LittleEndian.u64(index, 0);
        if (offset == 0) {
            if (m != MetadumpFormat.MAGIC_V0 && m != MetadumpFormat.MAGIC_V1 && m != MetadumpFormat.MAGIC_ZSTD) {
                throw new ImageFormatException(name + ": unrecognized header format at offset 0");
            }
            magic = m;
        } else if (m != magic) {
            throw new ImageFormatException(name + ": bad cluster magic at offset " + offset);
        }
        long bytenr = LittleEndian.u64(index, 8);
        if (bytenr != offset) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " claims offset " + Long.toUnsignedString(bytenr));
        }
        long n = LittleEndian.u32(index, 16);
        if (n > MetadumpFormat.MAX_ITEMS) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " has " + n + " items (at most "
                    + MetadumpFormat.MAX_ITEMS + ")");
        }
        int flag = index[20] & 0xFF;
        if ((flag == MetadumpFormat.COMPRESS_ZSTD) != (magic == MetadumpFormat.MAGIC_ZSTD)) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " has compress flag " + flag
                    + ", which this image's magic does not allow");
        }
        if (compress >= 0 && flag != compress) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " changes the compress flag");
        }
        compress = flag;
        long[] bytenrs = new long[(int) n];
        byte[][] payloads = new byte[(int) n][];
        long pos = offset + MetadumpFormat.INDEX_SIZE;
        for (int i = 0; i < n; i++) {
            int e = MetadumpFormat.HEADER_SIZE + MetadumpFormat.ENTRY_SIZE * i;
            bytenrs[i] = LittleEndian.u64(index, e);
            long size = LittleEndian.u32(index, e + 8);
            if (size > maxItemSize()) {
                throw new ImageFormatException(name + ": item " + i + " of cluster at offset " + offset + " has size "
                        + size + " (at most " + maxItemSize() + ")");
            }
            boolean kept = keep.test(bytenrs[i]);
            payloads[i] = kept ? in.readNBytes((int) size) : null;
            if (kept ? payloads[i].length < size : skip(size) < size) {
                throw new ImageFormatException(name + ": truncated: item " + i + " of cluster at offset " + offset
                        + " ends past the end of the image (payload at " + pos + ", " + size + " bytes)");
            }
            pos += size;
        }
        long next = MetadumpFormat.alignUp(pos);
        skipFully(next - pos, pos);
        Cluster c = new Cluster(offset, flag, bytenrs, payloads, index);
        offset = next;
        return c;
    }

    /** Whether a partial block at a cluster offset begins like this image's index blocks: a cut cluster. */
    private boolean startsWithMagic(byte[] partial) {
        for (int i = 0; i < Math.min(8, partial.length); i++) {
            if (partial[i] != (byte) (magic >>> (8 * i))) {
                return false;
            }
        }
        return true;
    }

    /** Skips up to {@code n} bytes; fewer only at the end of the image. */
    private long skip(long n) throws IOException {
        long done = 0;
        while (done < n) {
            long k = in.skip(n - done);
            if (k <= 0) {
                if (in.read() < 0) {
                    break; // the end: skip() may not tell
                }
                k = 1;
            }
            done += k;
        }
        return done;
    }

    private void skipFully(long n, long pos) throws IOException {
        // A missing final pad carries no data; the next read then sees the end of the image.
        in.readNBytes((int) n);
    }
}
