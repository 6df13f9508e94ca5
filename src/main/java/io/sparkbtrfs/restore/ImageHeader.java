package io.sparkbtrfs.restore;

import java.util.List;
import java.util.Map;

import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.ImageVersion;

/**
 * What phase 1 learns before anything is written: the image version, the superblock as dumped, where
 * every chunk goes on a single target, and the chunk tree's chunks and device items (for {@code -m}).
 */
public record ImageHeader(long magic, byte[] originalSuperblock, Superblock superblock, RestoreMap map,
        List<ChunkItem> chunks, Map<Long, byte[]> devItems) {

    /** The image's version, which its magic names. */
    public ImageVersion version() {
        return ImageVersion.of(magic);
    }

    /** v0 layout and limits (our zstd flavours included): restores get METADUMP_V2, as for v0. */
    public boolean isV0() {
        return version().v0Layout();
    }

    public boolean multiDevice() {
        return superblock.numDevices() != 1;
    }
}
