package io.sparkbtrfs.image;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Per-item zlib streams (RFC 1950 wrapper), as zlib's compress2(level) writes them: default window and
 * memory level, default strategy, all input then finish. On a JDK linked against the same system zlib as
 * btrfs-progs the bytes are identical to the reference's.
 */
public final class ZlibCodec {
    private ZlibCodec() {
    }

    public static byte[] compress(byte[] data, int level, Deflater deflater) {
        return compress(data, data.length, level, deflater);
    }

    /** Compresses {@code data[0 .. length)}. */
    public static byte[] compress(byte[] data, int length, int level, Deflater deflater) {
        return compress(data, length, level, deflater, new byte[bound(length)]);
    }

    /**
     * Compresses {@code data[0 .. length)} through the caller's {@code scratch} (reused across items: no
     * per-item buffers to allocate and clear); returns the stream in a new array of its exact length.
     */
    public static byte[] compress(byte[] data, int length, int level, Deflater deflater, byte[] scratch) {
        if (scratch.length < bound(length)) {
            scratch = new byte[bound(length)];
        }
        return java.util.Arrays.copyOf(scratch, compressInto(data, length, level, deflater, scratch));
    }

    /**
     * Compresses {@code data[0 .. length)} into {@code out}, which must hold {@link #bound}{@code (length)}
     * bytes, and returns the stream's length: no allocation at all, for writers that keep their buffers.
     */
    public static int compressInto(byte[] data, int length, int level, Deflater deflater, byte[] out) {
        if (out.length < bound(length)) {
            throw new IllegalArgumentException(out.length + "-byte buffer for the stream of " + length + " bytes");
        }
        deflater.reset();
        deflater.setLevel(level);
        deflater.setInput(data, 0, length);
        deflater.finish();
        int n = 0;
        while (!deflater.finished()) {
            if (n == out.length) {
                throw new IllegalStateException("zlib stream of " + length + " bytes exceeds its bound");
            }
            n += deflater.deflate(out, n, out.length - n);
        }
        return n;
    }

    /** Enough room for the zlib stream of {@code length} bytes in one go (zlib's deflateBound, rounded up). */
    public static int bound(int length) {
        return length + (length >>> 12) + (length >>> 14) + (length >>> 25) + 64;
    }

    /**
     * Inflates one complete zlib stream whose content may not exceed {@code limit} bytes. Rejects
     * truncated streams, trailing bytes and content beyond the limit instead of guessing.
     */
    public static byte[] decompress(byte[] stream, int limit) throws DataFormatException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(stream);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(limit, 1 << 16));
            byte[] buf = new byte[1 << 16];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && !inf.finished() && (inf.needsInput() || inf.needsDictionary())) {
                    throw new DataFormatException("truncated zlib stream");
                }
                if (out.size() + n > limit) {
                    throw new DataFormatException("zlib stream inflates past " + limit + " bytes");
                }
                out.write(buf, 0, n);
            }
            if (inf.getRemaining() > 0) {
                throw new DataFormatException(inf.getRemaining() + " bytes after the end of the zlib stream");
            }
            return out.toByteArray();
        } finally {
            inf.end();
        }
    }
}
