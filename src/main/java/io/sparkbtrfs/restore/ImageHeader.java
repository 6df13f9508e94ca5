package io.sparkbtrfs.restore;

import java.util.List;
import java.util.Map;

import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * What phase 1 learns before anything is written: the image version, the superblock as dumped, where
 * every chunk goes on a single target, and the chunk tree's chunks and device items (for {@code -m}).
 */
public record ImageHeader(long magic, byte[] originalSuperblock, Superblock superblock, RestoreMap map,
        List<ChunkItem> chunks, Map<Long, byte[]> devItems) {

    /** v0 layout and limits (our zstd flavour included): restores get METADUMP_V2, as for v0. */
    public boolean isV0() {
        return magic != MetadumpFormat.MAGIC_V1;
    }

    /** Largest content one item may inflate to: twice the version's merge limit, as the reference allows. */
    public int itemLimit() {
        return MetadumpFormat.itemLimit(magic);
    }

    public boolean multiDevice() {
        return superblock.numDevices() != 1;
    }
}
