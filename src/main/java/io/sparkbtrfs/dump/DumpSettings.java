package io.sparkbtrfs.dump;

import java.io.Serializable;

import io.sparkbtrfs.image.MetadumpFormat;

/**
 * How items are turned into payloads: fixed on the driver, identical on every executor.
 * {@code clearLabel} blanks the superblock's label (sanitized dumps); {@code bestEffort} keeps going past
 * blocks that fail validation on every copy (dumped as read, or zeroed if unreadable or when sanitizing).
 */
public record DumpSettings(int compressLevel, LeafItemTransform transform, boolean clearLabel, boolean bestEffort)
        implements Serializable {

    public DumpSettings(int compressLevel, LeafItemTransform transform) {
        this(compressLevel, transform, false, false);
    }

    public DumpSettings {
        if (compressLevel < 0 || compressLevel > 9) {
            throw new IllegalArgumentException("compression level out of range: " + compressLevel);
        }
    }

    public int compressFlag() {
        return compressLevel > 0 ? MetadumpFormat.COMPRESS_ZLIB : MetadumpFormat.COMPRESS_NONE;
    }

    public long magic() {
        return MetadumpFormat.MAGIC_V0;
    }
}
