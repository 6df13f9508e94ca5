package io.sparkbtrfs.dump;

import java.io.Serializable;

import io.sparkbtrfs.image.MetadumpFormat;

/**
 * How a dump compresses its clusters, decided once ({@link #of}) from the command line's {@code -c LEVEL} and
 * {@code --compress}: the image's magic and compression flag, and what the part writer and the runners do, follow
 * from it alone.
 */
public sealed interface Codec extends Serializable permits Codec.None, Codec.Zlib, Codec.Zstd {
    /** Payloads as they are: offsets are known from the plan, so parts can be written in place. */
    record None() implements Codec {
        private static final long serialVersionUID = 1L;

        @Override
        public int compressFlag() {
            return MetadumpFormat.COMPRESS_NONE;
        }
    }

    /** The reference's {@code -c 1..9}: each item compressed on its own. */
    record Zlib(int level) implements Codec {
        private static final long serialVersionUID = 1L;

        public Zlib {
            if (level < 1 || level > 9) {
                throw new IllegalArgumentException("zlib level out of range: " + level);
            }
        }

        @Override
        public int compressFlag() {
            return MetadumpFormat.COMPRESS_ZLIB;
        }
    }

    /**
     * {@code --compress zstd}: our own image flavour, zstd frames over runs of clusters spanning about
     * {@code frameBytes} of content each (see {@link StreamFrames}, {@link MetadumpFormat#MAGIC_ZSTD_STREAM}; the
     * older per-item flavour is read, no longer written).
     */
    record Zstd(int level, long frameBytes) implements Codec {
        private static final long serialVersionUID = 1L;

        public Zstd {
            if (level == 0) {
                throw new IllegalArgumentException("zstd level 0");
            }
            if (frameBytes <= 0) {
                throw new IllegalArgumentException("zstd frames of " + frameBytes + " bytes");
            }
        }

        @Override
        public int compressFlag() {
            return MetadumpFormat.COMPRESS_ZSTD_STREAM;
        }

        @Override
        public long magic() {
            return MetadumpFormat.MAGIC_ZSTD_STREAM;
        }
    }

    Codec NONE = new None();

    /**
     * The codec of {@code -c compressLevel} (0: none) and {@code --compress zstd:zstdLevel} (0: not asked; it
     * takes precedence), zstd frames spanning {@code frameBytes}.
     */
    static Codec of(int compressLevel, int zstdLevel, long frameBytes) {
        if (compressLevel < 0 || compressLevel > 9) {
            throw new IllegalArgumentException("compression level out of range: " + compressLevel);
        }
        if (zstdLevel != 0) {
            return new Zstd(zstdLevel, frameBytes);
        }
        return compressLevel > 0 ? new Zlib(compressLevel) : NONE;
    }

    /** The index block's compression flag. */
    int compressFlag();

    /** The image's magic. */
    default long magic() {
        return MetadumpFormat.MAGIC_V0;
    }

    /** True when payloads are stored as they are. */
    default boolean raw() {
        return this instanceof None;
    }
}
