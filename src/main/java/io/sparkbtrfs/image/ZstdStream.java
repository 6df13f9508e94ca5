package io.sparkbtrfs.image;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.DataFormatException;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;

/**
 * Streaming zstd for the stream flavour of our images ({@link MetadumpFormat#MAGIC_ZSTD_STREAM}): one frame
 * runs over the item contents of several clusters, flushed at every cluster's end so that each cluster's
 * payload completes its own items. The bytes depend only on the input, the level and where the flushes and
 * frame ends fall (no worker threads), so that every task writing the same clusters writes the same bytes.
 */
public final class ZstdStream {
    static {
        ZstdLibrary.prepare();
    }

    /**
     * The largest window a frame may use (16 MiB): frames of the writer span a few MiB of content, and the
     * decoder refuses frames asking for more, which bounds its memory on a hostile image.
     */
    public static final int MAX_WINDOW_LOG = 24;

    private ZstdStream() {
    }

    /**
     * Compresses a sequence of frames into a growing buffer; at most one open per thread (they share the
     * thread's buffers). Input and output pass through
     * direct buffers: with heap arrays every call would hold the garbage collector off for the whole call
     * (a JNI critical section), and the heap grows to hundreds of MiB under a dump's item stream.
     */
    public static final class Encoder implements AutoCloseable {
        static {
            ZstdLibrary.prepare(); // a nested class is initialised without its outer one
        }

        private static final int IO = 1 << 20;
        /**
         * The buffers of this thread's encoders: a dump makes one encoder per task, and fresh multi-MiB
         * buffers per task outlive young collections (the heap grew by 250 MiB on the 1 M-file benchmark).
         */
        private static final ThreadLocal<Encoder.Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

        private static final class Buffers {
            final ByteBuffer src = ByteBuffer.allocateDirect(IO);
            final ByteBuffer dst = ByteBuffer.allocateDirect(IO);
            byte[] out = new byte[1 << 16];
            boolean inUse;
        }

        private final ZstdCompressCtx ctx;
        private final Buffers buffers = BUFFERS.get();
        private final ByteBuffer src = buffers.src;
        private final ByteBuffer dst = buffers.dst;
        private byte[] out = buffers.out;
        private int length;

        /** @param windowLog the window of each frame (at most {@link #MAX_WINDOW_LOG}) */
        public Encoder(int level, int windowLog) {
            if (windowLog > MAX_WINDOW_LOG) {
                throw new IllegalArgumentException("window log " + windowLog + " > " + MAX_WINDOW_LOG);
            }
            if (buffers.inUse) {
                throw new IllegalStateException("another encoder is open on this thread");
            }
            buffers.inUse = true;
            ctx = new ZstdCompressCtx().setLevel(level).setWindowLog(windowLog).setChecksum(true);
        }

        /** Adds {@code b[off .. off+len)} to the current frame (starting one if none is open). */
        public void add(byte[] b, int off, int len) {
            for (int done = 0; done < len;) {
                int n = Math.min(IO, len - done);
                src.clear();
                src.put(b, off + done, n).flip();
                run(EndDirective.CONTINUE);
                done += n;
            }
        }

        /** Ends the current cluster: flushes everything added so far, and ends the frame if {@code endFrame}. */
        public void flush(boolean endFrame) {
            src.clear().flip();
            run(endFrame ? EndDirective.END : EndDirective.FLUSH);
        }

        private void run(EndDirective directive) {
            while (true) {
                dst.clear();
                boolean done = ctx.compressDirectByteBufferStream(dst, src, directive);
                dst.flip();
                if (out.length - length < dst.remaining()) {
                    out = Arrays.copyOf(out, Math.max(out.length * 2, length + dst.remaining()));
                    buffers.out = out;
                }
                int n = dst.remaining();
                dst.get(out, length, n);
                length += n;
                if (directive == EndDirective.CONTINUE ? !src.hasRemaining() : done) {
                    return;
                }
            }
        }

        /** The compressed bytes produced since the last {@link #clear}: {@code buffer()[0 .. length())}. */
        public byte[] buffer() {
            return out;
        }

        public int length() {
            return length;
        }

        public void clear() {
            length = 0;
        }

        @Override
        public void close() {
            buffers.inUse = false;
            ctx.close();
        }
    }

    /** Decodes the frames of consecutive payloads, output pulled piece by piece; not thread-safe. */
    public static final class Decoder implements AutoCloseable {
        static {
            ZstdLibrary.prepare(); // a nested class is initialised without its outer one
        }

        private final ZstdDecompressCtx ctx = new ZstdDecompressCtx().setLongMax(MAX_WINDOW_LOG);
        private ByteBuffer in = ByteBuffer.allocate(0);
        private boolean frameEnded = true;

        /** Makes {@code payload} the input; the previous input must have been consumed. */
        public void feed(byte[] payload, int off, int len) {
            if (in.hasRemaining()) {
                throw new IllegalStateException("input left over");
            }
            in = ByteBuffer.wrap(payload, off, len);
        }

        /**
         * Decodes up to {@code len} bytes into {@code dst[off..]}; returns how many: fewer than {@code len} only
         * when the input fed so far yields no more (its end, or the end of a frame).
         */
        public int read(byte[] dst, int off, int len) throws DataFormatException {
            int done = 0;
            while (done < len) {
                ByteBuffer out = ByteBuffer.wrap(dst, off + done, len - done);
                int consumedBefore = in.position();
                boolean ended;
                try {
                    ended = ctx.decompressByteBufferStream(out, in);
                } catch (ZstdException e) {
                    throw new DataFormatException("corrupted zstd stream (" + e.getMessage() + ")");
                }
                int n = out.position() - (off + done);
                done += n;
                boolean progress = n > 0 || in.position() > consumedBefore;
                if (ended) {
                    frameEnded = true;
                    break;
                }
                if (progress) {
                    frameEnded = false;
                } else {
                    break; // the input fed so far yields nothing more
                }
            }
            return done;
        }

        /** Whether the input consumed so far ends exactly at the end of a frame (or none was begun). */
        public boolean frameEnded() {
            return frameEnded;
        }

        /** Input fed but not yet consumed. */
        public int remaining() {
            return in.remaining();
        }

        @Override
        public void close() {
            ctx.close();
        }
    }
}
