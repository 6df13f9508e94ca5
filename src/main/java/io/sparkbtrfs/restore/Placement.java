package io.sparkbtrfs.restore;

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
        b[chunk + 44] = (byte) stripes;
        b[chunk + 45] = 0;
        b[chunk + 46] = 0;
        b[chunk + 47] = 0;
        for (int s = 0; s < stripes; s++) {
            int st = chunk + io.sparkbtrfs.format.ChunkItem.HEADER_SIZE + io.sparkbtrfs.format.ChunkItem.STRIPE_SIZE * s;
            io.sparkbtrfs.format.LittleEndian.put64(b, st, devid);
            io.sparkbtrfs.format.LittleEndian.put64(b, st + 8, s == 0 ? physical : physicalDup);
            System.arraycopy(devUuid, 0, b, st + 16, 16);
        }
    }

    Placement withoutDup() {
        return new Placement(logical, length, physical, 0, type);
    }

    Placement movedTo(long newPhysical) {
        return new Placement(logical, length, newPhysical, physicalDup, type);
    }
}
