package io.sparkbtrfs.restore;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;

/**
 * The superblock a default restore writes (spec §5.4): METADUMP_V2 set for v0 images, one device, the
 * sys_chunk_array rewritten for the single target when the filesystem had several devices, the v1 space
 * cache invalidated if a chunk had to move over a mirror, and the checksum of the filesystem's own type
 * (the reference always writes crc32c: bug 3).
 */
public final class SuperblockPatcher {
    private SuperblockPatcher() {
    }

    public static byte[] patch(ImageHeader h) throws RestoreException {
        byte[] b = h.originalSuperblock().clone();
        Superblock sb = h.superblock();
        if (h.multiDevice()) {
            rewriteSysArray(b, sb, h.map());
        }
        if (h.map().clearSpaceCache()) {
            Superblock.setCacheGeneration(b, 0);
        }
        if (h.isV0()) {
            setFlag(b, Superblock.FLAG_METADUMP_V2);
        }
        Superblock.setNumDevices(b, 1);
        sb.checksumType().store(b, 0, Superblock.SIZE);
        return b;
    }

    /** ORs {@code flag} into the superblock flags of {@code b} (the caller recomputes the checksum). */
    static void setFlag(byte[] b, long flag) {
        Superblock.setFlags(b, Superblock.flags(b) | flag);
    }

    /** A copy for mirror offset {@code bytenr}: the bytenr field set and the checksum recomputed. */
    public static byte[] mirror(byte[] patched, long bytenr, ChecksumType csum) {
        byte[] b = patched.clone();
        Superblock.setBytenr(b, bytenr);
        csum.store(b, 0, Superblock.SIZE);
        return b;
    }

    private static void rewriteSysArray(byte[] b, Superblock sb, RestoreMap map) throws RestoreException {
        byte[] out = new byte[Superblock.SYS_CHUNK_ARRAY_MAX];
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
            int need = Key.SIZE + ChunkItem.itemSize(stripes);
            if (outPos + need > Superblock.SYS_CHUNK_ARRAY_MAX) {
                throw new RestoreException("rewritten sys_chunk_array does not fit in the superblock");
            }
            new Key(ChunkItem.KEY_OBJECTID, Key.CHUNK_ITEM, c.start()).write(out, outPos);
            int chunk = outPos + Key.SIZE;
            ChunkItem.setHeader(out, chunk, c.length(), c.stripeLen(),
                    dup ? c.type() & (ChunkItem.TYPE_SYSTEM | ChunkItem.DUP) : ChunkItem.TYPE_SYSTEM, sb.sectorsize());
            (dup ? p : p.withoutDup()).writeStripes(out, chunk, devid, devUuid);
            outPos += need;
        }
        Superblock.setSysChunkArray(b, out, outPos);
    }
}
