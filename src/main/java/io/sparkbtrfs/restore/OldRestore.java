package io.sparkbtrfs.restore;

import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;

/**
 * {@code -o}: every item written at physical = logical, and a superblock flagged METADUMP whose
 * sys_chunk_array holds one identity chunk over the whole logical range, so that tools map every address
 * to itself without reading the chunk tree. The reference writes a chunk of length 2^64−1 there, which
 * current btrfs-progs reject, so its {@code -o} always fails (bug 13); ours is a chunk that ends at the
 * highest chunk end of the image, which they accept.
 */
final class OldRestore {
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
        long length = (end + ChunkItem.STRIPE_LEN - 1) / ChunkItem.STRIPE_LEN * ChunkItem.STRIPE_LEN;
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
            SuperblockPatcher.setFlag(b, Superblock.FLAG_METADUMP);
        }
        byte[] array = new byte[Key.SIZE + ChunkItem.itemSize(1)];
        new Key(ChunkItem.KEY_OBJECTID, Key.CHUNK_ITEM, 0).write(array, 0);
        ChunkItem.setHeader(array, Key.SIZE, length, ChunkItem.STRIPE_LEN, ChunkItem.TYPE_SYSTEM, sb.sectorsize());
        ChunkItem.setStripeCounts(array, Key.SIZE, 1, 0);
        ChunkItem.setStripe(array, Key.SIZE, 0, sb.devid(), 0, sb.deviceUuid());
        Superblock.setSysChunkArray(b, array, array.length);
        Superblock.setNumDevices(b, 1);
        sb.checksumType().store(b, 0, Superblock.SIZE);
        return b;
    }
}
