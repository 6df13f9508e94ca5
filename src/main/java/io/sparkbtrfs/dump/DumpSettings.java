package io.sparkbtrfs.dump;

import java.io.Serializable;

import io.sparkbtrfs.image.MetadumpFormat;

/**
 * How items are turned into payloads: fixed on the driver, identical on every executor.
 * {@code clearLabel} blanks the superblock's label (sanitized dumps); {@code bestEffort} keeps going past
 * blocks that fail validation on every copy (dumped as read, or zeroed if unreadable or when sanitizing).
 */
public record DumpSettings(int compressLevel, LeafItemTransform transform, boolean clearLabel, boolean bestEffort,
        int zstdLevel) implements Serializable {

    public DumpSettings(int compressLevel, LeafItemTransform transform) {
        this(compressLevel, transform, false, false, 0);
    }

    public DumpSettings(int compressLevel, LeafItemTransform transform, boolean clearLabel, boolean bestEffort) {
        this(compressLevel, transform, clearLabel, bestEffort, 0);
    }

    /** {@code --compress zstd}: our own image flavour (see {@link MetadumpFormat#MAGIC_ZSTD}). */
    public boolean zstd() {
        return zstdLevel != 0;
    }

    public DumpSettings {
        if (compressLevel < 0 || compressLevel > 9) {
            throw new IllegalArgumentException("compression level out of range: " + compressLevel);
        }
    }

    public int compressFlag() {
        if (zstd()) {
            return MetadumpFormat.COMPRESS_ZSTD;
        }
        return compressLevel > 0 ? MetadumpFormat.COMPRESS_ZLIB : MetadumpFormat.COMPRESS_NONE;
    }

    public long magic() {
        return zstd() ? MetadumpFormat.MAGIC_ZSTD : MetadumpFormat.MAGIC_V0;
    }
}
