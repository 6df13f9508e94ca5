package io.sparkbtrfs.restore;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.Superblock;

/**
 * The superblock a default restore writes (spec §5.4): METADUMP_V2 set for v0 images, one device, the
 * sys_chunk_array rewritten for the single target when the filesystem had several devices, the v1 space
 * cache invalidated if a chunk had to move over a mirror, and the checksum of the filesystem's own type
 * (the reference always writes crc32c: bug 3).
 */
public final class SuperblockPatcher {
    static final long FLAG_METADUMP = 1L << 33;
    static final long FLAG_METADUMP_V2 = 1L << 34;
    private static final int FLAGS = 56;
    private static final int NUM_DEVICES = 136;
    private static final int SYS_ARRAY_SIZE = 160;
    private static final int CACHE_GENERATION = 555;
    private static final int SYS_ARRAY = 811;
    private static final int SYS_ARRAY_MAX = 2048;

    private SuperblockPatcher() {
    }

    public static byte[] patch(ImageHeader h) throws RestoreException {
        byte[] b = h.originalSuperblock().clone();
        Superblock sb = h.superblock();
        if (h.multiDevice()) {
            rewriteSysArray(b, sb, h.map());
        }
        if (h.map().clearSpaceCache()) {
            LittleEndian.put64(b, CACHE_GENERATION, 0);
        }
        if (h.isV0()) {
            setFlag(b, FLAG_METADUMP_V2);
        }
        LittleEndian.put64(b, NUM_DEVICES, 1);
        sb.checksumType().store(b, 0, Superblock.SIZE);
        return b;
    }

    /** ORs {@code flag} into the superblock flags of {@code b} (the caller recomputes the checksum). */
    static void setFlag(byte[] b, long flag) {
        LittleEndian.put64(b, FLAGS, LittleEndian.u64(b, FLAGS) | flag);
    }

    /** A copy for mirror offset {@code bytenr}: the bytenr field set and the checksum recomputed. */
    public static byte[] mirror(byte[] patched, long bytenr, ChecksumType csum) {
        byte[] b = patched.clone();
        LittleEndian.put64(b, 48, bytenr);
        csum.store(b, 0, Superblock.SIZE);
        return b;
    }

    private static void rewriteSysArray(byte[] b, Superblock sb, RestoreMap map) throws RestoreException {
        byte[] out = new byte[SYS_ARRAY_MAX];
        int outPos = 0;
        long devid = sb.devid();
        byte[] devUuid = sb.deviceUuid();
        for (ChunkItem c : sb.systemChunks()) {
            Placement p = map.find(c.start());
            if (p == null) {
                throw new RestoreException("system chunk at " + Long.toUnsignedString(c.start())
                        + " is not described by any chunk tree block in the image");
            }
            boolean dup = (c.type() & ChunkItem.DUP) != 0 && p.physicalDup() != 0;
            int stripes = dup ? 2 : 1;
            int need = Key.SIZE + ChunkItem.HEADER_SIZE + ChunkItem.STRIPE_SIZE * stripes;
            if (outPos + need > SYS_ARRAY_MAX) {
                throw new RestoreException("rewritten sys_chunk_array does not fit in the superblock");
            }
            LittleEndian.put64(out, outPos, 256);
            out[outPos + 8] = (byte) Key.CHUNK_ITEM;
            LittleEndian.put64(out, outPos + 9, c.start());
            int chunk = outPos + Key.SIZE;
            LittleEndian.put64(out, chunk, c.length());
            LittleEndian.put64(out, chunk + 8, 2);
            LittleEndian.put64(out, chunk + 16, c.stripeLen());
            LittleEndian.put64(out, chunk + 24, dup ? c.type() & (ChunkItem.TYPE_SYSTEM | ChunkItem.DUP) : ChunkItem.TYPE_SYSTEM);
            LittleEndian.put32(out, chunk + 32, sb.sectorsize());
            LittleEndian.put32(out, chunk + 36, sb.sectorsize());
            LittleEndian.put32(out, chunk + 40, sb.sectorsize());
            (dup ? p : p.withoutDup()).writeStripes(out, chunk, devid, devUuid);
            outPos += need;
        }
        System.arraycopy(out, 0, b, SYS_ARRAY, SYS_ARRAY_MAX);
        LittleEndian.put32(b, SYS_ARRAY_SIZE, outPos);
    }
}
