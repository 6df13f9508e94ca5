package io.sparkbtrfs.restore;

import io.sparkbtrfs.format.ChunkItem;

/**
 * Where a chunk's bytes go on the single restore target: logical [logical, logical+length) is written
 * at {@code physical}, and again at {@code physicalDup} for DUP chunks (0 = no second copy).
 */
public record Placement(long logical, long length, long physical, long physicalDup, long type) {

    public boolean contains(long address) {
        return Long.compareUnsigned(address - logical, length) < 0;
    }

    /**
     * Writes this placement as the stripes of a chunk item whose header starts at {@code chunk}: stripe count
     * 1 (2 with a DUP copy), sub_stripes 0, every stripe on device {@code devid} / {@code devUuid}.
     */
    void writeStripes(byte[] b, int chunk, long devid, byte[] devUuid) {
        int stripes = physicalDup != 0 ? 2 : 1;
        ChunkItem.setStripeCounts(b, chunk, stripes, 0);
        for (int s = 0; s < stripes; s++) {
            ChunkItem.setStripe(b, chunk, s, devid, s == 0 ? physical : physicalDup, devUuid);
        }
    }

    Placement withoutDup() {
        return new Placement(logical, length, physical, 0, type);
    }

    Placement movedTo(long newPhysical) {
        return new Placement(logical, length, newPhysical, physicalDup, type);
    }
}
