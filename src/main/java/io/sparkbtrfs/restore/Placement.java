package io.sparkbtrfs.restore;

/**
 * Where a chunk's bytes go on the single restore target: logical [logical, logical+length) is written
 * at {@code physical}, and again at {@code physicalDup} for DUP chunks (0 = no second copy).
 */
public record Placement(long logical, long length, long physical, long physicalDup, long type) {

    public boolean contains(long address) {
        return Long.compareUnsigned(address - logical, length) < 0;
    }

    Placement movedTo(long newPhysical) {
        return new Placement(logical, length, newPhysical, physicalDup, type);
    }
}
