package io.sparkbtrfs.image;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;


/**
 * Streams the clusters of a metadump image without seeking. Every count and size is bounded before use:
 * nritems ≤ 83, a stored payload ≤ the version's maximum item size, and payloads are read incrementally
 * so that a lying size fails at end of file rather than allocating.
 *
 * <p>In a stream image ({@link MetadumpFormat#MAGIC_ZSTD_STREAM}) a cluster's items decode only after the
 * earlier payloads of its frame: {@link Cluster#content} then takes the items in image order (an item left
 * out is decoded and dropped). A frame none of whose items is asked for is never decoded; its payloads are
 * held until it ends, up to {@link #LAZY_FRAME_BYTES}, past which it is decoded as it goes (bounded memory
 * on any image). With {@link #decodeStreams(boolean) decodeStreams(false)} the caller decodes the clusters
 * itself ({@link StreamDecoder}) and the reader only checks their framing.
 */
public final class ImageReader {
    /** How an image that does not begin with a known cluster magic is refused (after its name). */
    public static final String UNRECOGNIZED_HEADER = "unrecognized header format at offset 0";

    /** Payload bytes of a frame held undecoded in case one of its items is asked for. */
    static final long LAZY_FRAME_BYTES = 64L << 20;

    private final InputStream in;
    private final String name;
    private long offset;
    private long magic;
    private ImageVersion version;
    private int compress = -1;
    private boolean decodeStreams = true;
    private boolean skipStored;
    private StreamCursor cursor;
    /** Offset of the first cluster of the open frame of a stream image, or -1 between frames. */
    private long frameStart = -1;

    public ImageReader(InputStream in, String name) {
        this.in = in;
        this.name = name;
    }

    /** Whether {@link Cluster#content} decodes stream clusters (default) or the caller does. */
    public ImageReader decodeStreams(boolean decode) {
        this.decodeStreams = decode;
        return this;
    }

    /**
     * Whether the payloads of uncompressed clusters are skipped (null in {@link Cluster#payloads()}): a caller
     * that reads them itself, from the image file at {@link Cluster#payloadOffset}, into buffers of its own.
     */
    public ImageReader skipStoredPayloads(boolean skip) {
        this.skipStored = skip;
        return this;
    }

    /** One cluster: where it starts, its compress flag, its items as stored. */
    public static final class Cluster {
        private final long offset;
        private final int compress;
        private final long[] bytenrs;
        private final byte[][] payloads;
        private final byte[] index;
        private final int[] sizes;
        private final byte[] payload;
        private final StreamCursor cursor;
        private final String name;

        Cluster(long offset, int compress, long[] bytenrs, byte[][] payloads, byte[] index, int[] sizes,
                byte[] payload, StreamCursor cursor, String name) {
            this.offset = offset;
            this.compress = compress;
            this.bytenrs = bytenrs;
            this.payloads = payloads;
            this.index = index;
            this.sizes = sizes;
            this.payload = payload;
            this.cursor = cursor;
            this.name = name;
        }

        public long offset() {
            return offset;
        }

        public int compress() {
            return compress;
        }

        public long[] bytenrs() {
            return bytenrs;
        }

        /** Per-item payloads as stored (none in a stream cluster: see {@link #payload()}). */
        public byte[][] payloads() {
            return payloads;
        }

        public byte[] index() {
            return index;
        }

        public int size() {
            return bytenrs.length;
        }

        /** Whether this is a cluster of a stream image: one payload for all its items. */
        public boolean streamed() {
            return compress == MetadumpFormat.COMPRESS_ZSTD_STREAM;
        }

        /** Stream cluster: the content size of each item. */
        public int[] sizes() {
            return sizes;
        }

        /** Stream cluster: its slice of the frame's zstd stream. */
        public byte[] payload() {
            return payload;
        }

        /** Stream cluster: its START/END marks. */
        public int marks() {
            return MetadumpFormat.marks(index);
        }

        /** The stored size of item {@code i} (an item cluster). */
        public long storedSize(int i) {
            return MetadumpFormat.entrySize(index, i);
        }

        /** Where item {@code i}'s payload begins in the image (an item cluster). */
        public long payloadOffset(int i) {
            long at = offset + MetadumpFormat.INDEX_SIZE;
            for (int j = 0; j < i; j++) {
                at += storedSize(j);
            }
            return at;
        }

        /** Payload bytes this cluster occupies in the image. */
        public long storedBytes() {
            if (streamed()) {
                return payload.length;
            }
            long n = 0; // from the index: a skipped payload is not held
            for (int i = 0; i < bytenrs.length; i++) {
                n += storedSize(i);
            }
            return n;
        }

        /**
         * Item {@code i}'s content, inflated if the cluster is compressed, at most {@code limit} bytes. The items
         * of a stream cluster must be asked for in order.
         */
        public byte[] content(int i, int limit) throws DataFormatException {
            return switch (compress) {
                case MetadumpFormat.COMPRESS_ZLIB -> ZlibCodec.decompress(payloads[i], limit);
                case MetadumpFormat.COMPRESS_ZSTD -> ZstdCodec.decompress(payloads[i], limit);
                case MetadumpFormat.COMPRESS_ZSTD_STREAM -> {
                    if (cursor == null) {
                        throw new IllegalStateException(name + ": stream clusters are decoded by the caller");
                    }
                    yield cursor.content(this, i, limit);
                }
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

        /**
         * As {@link #forEachPiece(int, int, byte[], Inflater, PieceSink)} for a zlib item, inflated into
         * {@code piece} (a direct buffer: the pieces then reach a file without a copy through the heap); each piece
         * is handed over as {@code piece}'s remaining bytes.
         */
        public <E extends Exception> long forEachZlibPiece(int i, int limit, java.nio.ByteBuffer piece,
                Inflater inflater, BufferSink<E> sink) throws DataFormatException, E {
            inflater.reset();
            inflater.setInput(payloads[i]);
            long total = 0;
            while (!inflater.finished()) {
                piece.clear();
                while (piece.hasRemaining() && !inflater.finished()) {
                    int n;
                    try {
                        n = inflater.inflate(piece);
                    } catch (DataFormatException e) {
                        throw new DataFormatException("corrupted zlib payload (" + e.getMessage() + ")");
                    }
                    if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                        throw new DataFormatException("truncated or corrupted zlib payload");
                    }
                }
                piece.flip();
                if (total + piece.remaining() > limit) {
                    throw new DataFormatException("payload inflates past " + limit + " bytes");
                }
                int filled = piece.remaining();
                sink.piece(total, piece);
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

    /** Receives the pieces of an item's content, in order, as a buffer's remaining bytes. */
    @FunctionalInterface
    public interface BufferSink<E extends Exception> {
        void piece(long offset, java.nio.ByteBuffer buf) throws E;
    }

    /** Receives the pieces of an item's content, in order. */
    @FunctionalInterface
    public interface PieceSink<E extends Exception> {
        void piece(long offset, byte[] buf, int len) throws E;
    }

    public long magic() {
        return magic;
    }

    /** The image's version (null before the first cluster is read). */
    public ImageVersion version() {
        return version;
    }

    /** The largest stored payload this image's version allows. */
    public long maxItemSize() {
        return version.maxStoredSize();
    }

    /**
     * Up to {@code size} bytes (fewer only at the end of the image). A size up to {@link #EXACT_READ} is read into
     * an array of that size at once: {@code readNBytes(n)} reads in 8 KiB arrays and joins them, twice the
     * allocation and a copy of every payload (half of a large restore's garbage). Larger sizes, which a hostile
     * index can claim up to the item limit, grow as the bytes arrive.
     */
    private byte[] readPayload(long size) throws IOException {
        if (size > EXACT_READ) {
            return in.readNBytes((int) size);
        }
        byte[] b = new byte[(int) size];
        int n = in.readNBytes(b, 0, b.length);
        return n == b.length ? b : java.util.Arrays.copyOf(b, n);
    }

    private static final int EXACT_READ = 16 << 20;

    /** The next cluster, or null at the end of the image. */
    public Cluster next() throws IOException, ImageFormatException {
        return next((bytenr, span) -> true);
    }

    /** Which items' payloads a pass reads (see {@link #next(ItemFilter)}). */
    @FunctionalInterface
    public interface ItemFilter {
        /**
         * Whether to read the item at {@code bytenr}, whose content spans at most {@code span} bytes (its
         * stored size if stored, the image's item limit if compressed).
         */
        boolean keep(long bytenr, long span);

        /** Called with each payload read, before the next item is asked about ({@code flag}: its compression). */
        default void read(long bytenr, byte[] payload, int flag) {
        }
    }

    /**
     * The next cluster, with the payloads of items that {@code keep} refuses skipped (null in
     * {@link Cluster#payloads()}): a pass that needs a few items does not copy the whole image.
     */
    public Cluster next(ItemFilter keep) throws IOException, ImageFormatException {
        byte[] index = in.readNBytes(MetadumpFormat.INDEX_SIZE);
        if (index.length < MetadumpFormat.INDEX_SIZE) {
            if (offset == 0) {
                throw new ImageFormatException(name + ": not a metadump image (shorter than one index block)");
            }
            if (index.length > 0 && startsWithMagic(index)) {
                throw new ImageFormatException(name + ": truncated: the index block at offset " + offset + " has only "
                        + index.length + " of " + MetadumpFormat.INDEX_SIZE + " bytes");
            }
            if (frameStart >= 0) {
                throw new ImageFormatException(name + ": truncated: the image ends inside the zstd frame that begins at "
                        + "offset " + frameStart);
            }
            if (cursor != null) {
                cursor.finish();
            }
            return null; // the end, or stray bytes shorter than an index block (ignored, as the reference does)
        }
        long m = MetadumpFormat.magic(index);
        if (offset == 0) {
            version = ImageVersion.of(m);
            if (version == null) {
                throw new ImageFormatException(name + ": " + UNRECOGNIZED_HEADER);
            }
            magic = m;
        } else if (m != magic) {
            throw new ImageFormatException(name + ": bad cluster magic at offset " + offset);
        }
        long bytenr = MetadumpFormat.bytenr(index);
        if (bytenr != offset) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " claims offset " + Long.toUnsignedString(bytenr));
        }
        long n = MetadumpFormat.nritems(index);
        if (n > MetadumpFormat.MAX_ITEMS) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " has " + n + " items (at most "
                    + MetadumpFormat.MAX_ITEMS + ")");
        }
        int flag = MetadumpFormat.compress(index);
        if (flag != expectedFlag(flag)) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " has compress flag " + flag
                    + ", which this image's magic does not allow");
        }
        if (compress >= 0 && flag != compress) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " changes the compress flag");
        }
        compress = flag;
        ItemFilter kept = skipStored && flag == MetadumpFormat.COMPRESS_NONE ? (b, span) -> false : keep;
        Cluster c = flag == MetadumpFormat.COMPRESS_ZSTD_STREAM ? readStreamed(index, (int) n)
                : readItems(index, (int) n, flag, kept);
        offset = MetadumpFormat.alignUp(offset + MetadumpFormat.INDEX_SIZE + c.storedBytes());
        return c;
    }

    /** The compress flag this image's magic requires ({@code flag} itself where the reference's allow it). */
    private int expectedFlag(int flag) {
        if (magic == MetadumpFormat.MAGIC_ZSTD) {
            return MetadumpFormat.COMPRESS_ZSTD;
        }
        if (magic == MetadumpFormat.MAGIC_ZSTD_STREAM || magic == MetadumpFormat.MAGIC_DELTA) {
            return MetadumpFormat.COMPRESS_ZSTD_STREAM;
        }
        return flag == MetadumpFormat.COMPRESS_ZSTD || flag == MetadumpFormat.COMPRESS_ZSTD_STREAM ? -1 : flag;
    }

    private Cluster readItems(byte[] index, int n, int flag, ItemFilter keep)
            throws IOException, ImageFormatException {
        long[] bytenrs = new long[n];
        byte[][] payloads = new byte[n][];
        long pos = offset + MetadumpFormat.INDEX_SIZE;
        for (int i = 0; i < n; i++) {
            bytenrs[i] = MetadumpFormat.entryBytenr(index, i);
            long size = MetadumpFormat.entrySize(index, i);
            if (size > maxItemSize()) {
                throw new ImageFormatException(name + ": item " + i + " of cluster at offset " + offset + " has size "
                        + size + " (at most " + maxItemSize() + ")");
            }
            boolean kept = keep.keep(bytenrs[i], flag == MetadumpFormat.COMPRESS_NONE ? size : maxItemSize());
            payloads[i] = kept ? readPayload(size) : null;
            if (kept ? payloads[i].length < size : skip(size) < size) {
                throw new ImageFormatException(name + ": truncated: item " + i + " of cluster at offset " + offset
                        + " ends past the end of the image (payload at " + pos + ", " + size + " bytes)");
            }
            if (kept) {
                keep.read(bytenrs[i], payloads[i], flag);
            }
            pos += size;
        }
        skipPad(pos);
        return new Cluster(offset, flag, bytenrs, payloads, index, null, null, null, name);
    }

    private Cluster readStreamed(byte[] index, int n) throws IOException, ImageFormatException {
        long[] bytenrs = new long[n];
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            bytenrs[i] = MetadumpFormat.entryBytenr(index, i);
            long size = MetadumpFormat.entrySize(index, i);
            if (size > maxItemSize()) {
                throw new ImageFormatException(name + ": item " + i + " of cluster at offset " + offset
                        + " declares " + size + " bytes of content (at most " + maxItemSize() + ")");
            }
            sizes[i] = (int) size;
        }
        int marks = MetadumpFormat.marks(index);
        if ((marks & ~(MetadumpFormat.MARK_START | MetadumpFormat.MARK_END)) != 0
                || MetadumpFormat.marksZero(index) != 0) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " has unknown frame marks 0x"
                    + Integer.toHexString(marks));
        }
        boolean start = (marks & MetadumpFormat.MARK_START) != 0;
        if (start != (frameStart < 0)) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + (start
                    ? " starts a zstd frame while the one begun at offset " + frameStart + " is open"
                    : " continues a zstd frame, but none is open"));
        }
        long size = MetadumpFormat.payloadSize(index);
        if (size > maxItemSize()) {
            throw new ImageFormatException(name + ": cluster at offset " + offset + " has a payload of " + size
                    + " bytes (at most " + maxItemSize() + ")");
        }
        long pos = offset + MetadumpFormat.INDEX_SIZE;
        byte[] payload = readPayload(size);
        if (payload.length < size) {
            throw new ImageFormatException(name + ": truncated: the payload of the cluster at offset " + offset
                    + " ends past the end of the image (at " + pos + ", " + size + " bytes)");
        }
        skipPad(pos + size);
        if (decodeStreams && cursor == null) {
            cursor = new StreamCursor(name);
        }
        frameStart = (marks & MetadumpFormat.MARK_END) != 0 ? -1 : start ? offset : frameStart;
        Cluster c = new Cluster(offset, MetadumpFormat.COMPRESS_ZSTD_STREAM, bytenrs, null, index, sizes, payload,
                decodeStreams ? cursor : null, name);
        if (cursor != null) {
            cursor.push(c);
        }
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

    private void skipPad(long pos) throws IOException {
        // A missing final pad carries no data; the next read then sees the end of the image.
        in.readNBytes((int) (MetadumpFormat.alignUp(pos) - pos));
    }

    /**
     * The decoding position in a stream image for {@link Cluster#content}: clusters of the open frame not
     * decoded yet, and the cluster being decoded.
     */
    private static final class StreamCursor {
        private final String name;
        private final StreamDecoder decoder = new StreamDecoder();
        private final byte[] scratch = new byte[1 << 16];
        private final List<Cluster> waiting = new ArrayList<>();
        private long waitingBytes;
        /** The cluster begun in the decoder, or null. */
        private Cluster current;
        /** Whether the open frame is being decoded (some of its payloads went through the decoder). */
        private boolean live;

        StreamCursor(String name) {
            this.name = name;
        }

        /** A new cluster was read: the one before it is done with. */
        void push(Cluster c) throws ImageFormatException {
            endCurrent();
            dropPassedFrame();
            waiting.add(c);
            waitingBytes += c.payload().length;
            if (live || waitingBytes > LAZY_FRAME_BYTES) {
                decodeUpTo(null);
            }
        }

        void finish() throws ImageFormatException {
            endCurrent();
            dropPassedFrame();
        }

        /** A frame that ended and none of whose items was asked for is never decoded. */
        private void dropPassedFrame() {
            if (!live && !waiting.isEmpty()
                    && (waiting.get(waiting.size() - 1).marks() & MetadumpFormat.MARK_END) != 0) {
                waiting.clear();
                waitingBytes = 0;
            }
        }

        byte[] content(Cluster c, int i, int limit) throws DataFormatException {
            try {
                if (c != current) {
                    if (!waiting.contains(c)) {
                        throw new IllegalStateException(name + ": cluster at offset " + c.offset()
                                + " was passed: items of a stream image are read in order");
                    }
                    decodeUpTo(c);
                }
            } catch (ImageFormatException e) {
                throw new DataFormatException(e.getMessage());
            }
            if (i < decoder.nextItem()) {
                throw new IllegalStateException(name + ": item " + i + " of the cluster at offset " + c.offset()
                        + " was passed: items of a stream image are read in order");
            }
            while (decoder.nextItem() < i) {
                int skipped = decoder.nextItem();
                try {
                    decoder.skip(scratch);
                } catch (DataFormatException e) {
                    throw new DataFormatException("item " + skipped + " (before it): " + e.getMessage());
                }
            }
            return decoder.item(limit);
        }

        /**
         * Runs the waiting clusters through the decoder (their items dropped) until {@code target}, which is
         * begun and left current; with null, every waiting cluster is decoded and the last one left current.
         */
        private void decodeUpTo(Cluster target) throws ImageFormatException {
            while (!waiting.isEmpty()) {
                endCurrent();
                Cluster next = waiting.remove(0);
                waitingBytes -= next.payload().length;
                decoder.begin(next);
                current = next;
                live = true;
                if (next == target) {
                    return;
                }
            }
        }

        private void endCurrent() throws ImageFormatException {
            if (current == null) {
                return;
            }
            try {
                decoder.end(scratch);
            } catch (DataFormatException e) {
                throw new ImageFormatException(name + ": cluster at offset " + current.offset() + ": " + e.getMessage());
            }
            if ((current.marks() & MetadumpFormat.MARK_END) != 0) {
                live = false;
            }
            current = null;
        }
    }
}
