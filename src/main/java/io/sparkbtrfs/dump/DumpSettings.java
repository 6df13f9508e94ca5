package io.sparkbtrfs.dump;

import java.io.Serializable;

import io.sparkbtrfs.image.MetadumpFormat;

/**
 * How items are turned into payloads: fixed on the driver, identical on every executor.
 * {@code clearLabel} blanks the superblock's label (sanitized dumps); {@code bestEffort} keeps going past
 * blocks that fail validation on every copy (dumped as read, or zeroed if unreadable or when sanitizing).
 */
public record DumpSettings(int compressLevel, LeafItemTransform transform, boolean clearLabel, boolean bestEffort,
        int zstdLevel, long frameBytes, boolean delta) implements Serializable {

    public DumpSettings(int compressLevel, LeafItemTransform transform, boolean clearLabel, boolean bestEffort,
            int zstdLevel, long frameBytes) {
        this(compressLevel, transform, clearLabel, bestEffort, zstdLevel, frameBytes, false);
    }

    public DumpSettings(int compressLevel, LeafItemTransform transform, boolean clearLabel, boolean bestEffort,
            int zstdLevel) {
        this(compressLevel, transform, clearLabel, bestEffort, zstdLevel, StreamFrames.FRAME_BYTES);
    }

    /** The same settings with names transformed by {@code t} (built once the volume is open: -ss reads it). */
    public DumpSettings withTransform(LeafItemTransform t) {
        return new DumpSettings(compressLevel, t, clearLabel, bestEffort, zstdLevel, frameBytes, delta);
    }

    /** The same settings, the frames of a stream image spanning {@code bytes} of content (see {@link StreamFrames}). */
    public DumpSettings withFrameBytes(long bytes) {
        return new DumpSettings(compressLevel, transform, clearLabel, bestEffort, zstdLevel, bytes, delta);
    }

    /**
     * The settings of a delta image of a dump with these settings: items prepared alike (same name transform,
     * label), stored in the stream layout at zstd level {@code level} under the delta magic.
     */
    public DumpSettings forDelta(int level) {
        return new DumpSettings(0, transform, clearLabel, false, level, frameBytes, true);
    }

    public DumpSettings(int compressLevel, LeafItemTransform transform) {
        this(compressLevel, transform, false, false, 0);
    }

    public DumpSettings(int compressLevel, LeafItemTransform transform, boolean clearLabel, boolean bestEffort) {
        this(compressLevel, transform, clearLabel, bestEffort, 0);
    }

    /**
     * {@code --compress zstd}: our own image flavour, zstd frames over runs of clusters (see
     * {@link MetadumpFormat#MAGIC_ZSTD_STREAM}; the older per-item flavour is read, no longer written).
     */
    public boolean zstd() {
        return zstdLevel != 0;
    }

    public DumpSettings {
        if (compressLevel < 0 || compressLevel > 9) {
            throw new IllegalArgumentException("compression level out of range: " + compressLevel);
        }
        if (delta && zstdLevel == 0) {
            throw new IllegalArgumentException("a delta image is a stream image");
        }
        if (frameBytes <= 0) {
            throw new IllegalArgumentException("zstd frames of " + frameBytes + " bytes");
        }
    }

    public int compressFlag() {
        if (zstd()) {
            return MetadumpFormat.COMPRESS_ZSTD_STREAM;
        }
        return compressLevel > 0 ? MetadumpFormat.COMPRESS_ZLIB : MetadumpFormat.COMPRESS_NONE;
    }

    public long magic() {
        if (delta) {
            return MetadumpFormat.MAGIC_DELTA;
        }
        return zstd() ? MetadumpFormat.MAGIC_ZSTD_STREAM : MetadumpFormat.MAGIC_V0;
    }
}
