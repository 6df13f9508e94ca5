package io.sparkbtrfs.dump;

import java.io.Serializable;

import io.sparkbtrfs.image.MetadumpFormat;

/** How items are turned into payloads: fixed on the driver, identical on every executor. */
public record DumpSettings(int compressLevel, LeafItemTransform transform) implements Serializable {

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
