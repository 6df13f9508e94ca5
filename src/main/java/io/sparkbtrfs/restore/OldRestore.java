package io.sparkbtrfs.restore;

import java.util.Arrays;

import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.Superblock;

/**
 * {@code -o}: every item written at physical = logical, and a superblock flagged METADUMP whose
 * sys_chunk_array holds one identity chunk over the whole logical range, so that tools map every address
 * to itself without reading the chunk tree. The reference writes a chunk of length 2^64−1 there, which
 * current btrfs-progs reject, so its {@code -o} always fails (bug 13); ours is a chunk that ends at the
 * highest chunk end of the image, which they accept.
 */
final class OldRestore {
    private static final int SYS_ARRAY_SIZE = 160;
    private static final int SYS_ARRAY = 811;
    private static final long STRIPE_LEN = 65536;

    private OldRestore() {
    }

    static RestoreSummary restore(Restorer restorer, ImageInput input, ImageHeader header, String targetSpec,
            long started) throws RestoreException {
        Superblock sb = header.superblock();
        long end = 0;
        for (ChunkItem c : header.chunks()) {
            end = Math.max(end, c.end());
        }
        if (end <= 0) {
            throw new RestoreException(input.name() + ": the image's chunk tree describes no chunk");
        }
        long length = (end + STRIPE_LEN - 1) / STRIPE_LEN * STRIPE_LEN;
        byte[] superblock = superblock(header, length);
        try (Target target = restorer.openTarget(targetSpec)) {
            Restorer.Written written = restorer.writeItems(input, header, new Restorer.Sink() {
                @Override
                public void write(long logical, byte[] buf, int len) throws RestoreException {
                    target.write(logical, buf, 0, len);
                }

                @Override
                public void write(long logical, java.nio.ByteBuffer buf) throws RestoreException {
                    target.write(logical, buf);
                }
            });
            long size = Restorer.finish(target, sb, superblock);
            target.commit();
            return new RestoreSummary(written.items(), written.bytes(), size, (System.nanoTime() - started) / 1_000_000,
                    written.notes());
        }
    }

    static byte[] superblock(ImageHeader header, long length) {
        Superblock sb = header.superblock();
        byte[] b = header.originalSuperblock().clone();
        if (header.isV0()) {
            SuperblockPatcher.setFlag(b, SuperblockPatcher.FLAG_METADUMP);
        }
        Arrays.fill(b, SYS_ARRAY, SYS_ARRAY + 2048, (byte) 0);
        int p = SYS_ARRAY;
        LittleEndian.put64(b, p, 256);
        b[p + 8] = (byte) Key.CHUNK_ITEM;
        LittleEndian.put64(b, p + 9, 0);
        int c = p + Key.SIZE;
        LittleEndian.put64(b, c, length);
        LittleEndian.put64(b, c + 8, 2);
        LittleEndian.put64(b, c + 16, STRIPE_LEN);
        LittleEndian.put64(b, c + 24, ChunkItem.TYPE_SYSTEM);
        LittleEndian.put32(b, c + 32, sb.sectorsize());
        LittleEndian.put32(b, c + 36, sb.sectorsize());
        LittleEndian.put32(b, c + 40, sb.sectorsize());
        b[c + 44] = 1;
        int s = c + ChunkItem.HEADER_SIZE;
        LittleEndian.put64(b, s, sb.devid());
        LittleEndian.put64(b, s + 8, 0);
        System.arraycopy(sb.deviceUuid(), 0, b, s + 16, 16);
        LittleEndian.put32(b, SYS_ARRAY_SIZE, Key.SIZE + ChunkItem.HEADER_SIZE + ChunkItem.STRIPE_SIZE);
        LittleEndian.put64(b, 136, 1);
        sb.checksumType().store(b, 0, Superblock.SIZE);
        return b;
    }
}
