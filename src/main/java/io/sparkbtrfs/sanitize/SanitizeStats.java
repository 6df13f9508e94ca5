package io.sparkbtrfs.sanitize;

import java.io.Serializable;

import io.sparkbtrfs.device.LongHashSet;

/**
 * What sanitizing did in one task; merged on the driver. Distinct names are counted by 64-bit
 * fingerprints (keyed with the dump's secret, so they reveal nothing either).
 */
public final class SanitizeStats implements Serializable {
    private static final long serialVersionUID = 1L;

    long names;
    long collisions;
    /** DIR_ITEM, XATTR_ITEM and INODE_EXTREF entries of short names moved to their substitute's hash. */
    long rekeyed;
    /** Such entries left under their old key: their substitute's hash does not match it. */
    long shortFallbacks;
    /** Short printable names given bytes ≥ 0x80: no other printable name of their length hashes into their cell. */
    long shortHigh;
    long noCollisionFallbacks;
    long nonPrintable;
    long values;
    long checksums;
    private long[] fingerprints = new long[0];
    private transient long[] pending;
    private transient int pendingCount;

    /** Called once per substitute computed: the task's name cache already removes most repeats. */
    void fingerprint(long fp) {
        if (pending == null) {
            pending = new long[1024];
        }
        if (pendingCount == pending.length) {
            pending = java.util.Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = fp;
    }

    /** Freezes the fingerprints for shipping to the driver. */
    public SanitizeStats seal() {
        if (pending != null) {
            fingerprints = java.util.Arrays.copyOf(pending, pendingCount);
        }
        return this;
    }

    /** Adds {@code other} into this (driver side). */
    public void merge(SanitizeStats other, LongHashSet distinct) {
        names += other.names;
        collisions += other.collisions;
        rekeyed += other.rekeyed;
        shortHigh += other.shortHigh;
        shortFallbacks += other.shortFallbacks;
        noCollisionFallbacks += other.noCollisionFallbacks;
        nonPrintable += other.nonPrintable;
        values += other.values;
        checksums += other.checksums;
        for (long fp : other.fingerprints) {
            distinct.add(fp);
        }
    }

    public String line(long distinct, boolean collisionsMode) {
        StringBuilder sb = new StringBuilder();
        sb.append("sanitized ").append(names).append(" names (").append(distinct).append(" distinct), ")
                .append(values).append(" xattr values, ").append(checksums).append(" data checksum items");
        if (collisionsMode) {
            sb.append("; hash-preserving substitutes: ").append(collisions);
            if (nonPrintable > 0) {
                sb.append(" (").append(nonPrintable).append(" with bytes >= 0x80: no printable solution exists)");
            }
            sb.append("; short names (4 bytes or less): ").append(rekeyed).append(" entries re-keyed, ")
                    .append(shortFallbacks).append(" not (hash will not match)");
            if (shortHigh > 0) {
                sb.append(", ").append(shortHigh).append(" printable names given bytes >= 0x80 (no printable name fits)");
            }
            sb.append("; garbage (hash will not match): ").append(noCollisionFallbacks).append(" without any collision");
        }
        return sb.toString();
    }
}
