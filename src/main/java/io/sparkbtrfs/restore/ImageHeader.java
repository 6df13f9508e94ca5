package io.sparkbtrfs.restore;

import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * What phase 1 learns before anything is written: the image version, the superblock as dumped, and
 * where every chunk goes.
 */
public record ImageHeader(long magic, byte[] originalSuperblock, Superblock superblock, RestoreMap map) {

    public boolean isV0() {
        return magic == MetadumpFormat.MAGIC_V0;
    }

    /** Largest content one item may inflate to: twice the version's merge limit, as the reference allows. */
    public int itemLimit() {
        return (int) Math.min(Integer.MAX_VALUE - 8, 2 * (isV0() ? MetadumpFormat.MAX_PENDING_V0 : MetadumpFormat.MAX_PENDING_V1));
    }

    public boolean multiDevice() {
        return superblock.numDevices() != 1;
    }
}
