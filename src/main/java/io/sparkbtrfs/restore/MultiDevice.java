package io.sparkbtrfs.restore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.sparkbtrfs.device.ChunkMap;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Superblock;

/**
 * {@code -m}: restores a filesystem onto as many targets as it had devices (what the reference intends
 * and never achieves: bug 11). Targets are matched to devids in ascending order; every block is written
 * to every copy through the filesystem's own chunk mapping (DUP, RAID1/1C3/1C4, RAID0, RAID10; the data
 * strips of RAID5/6, then the parity of every full stripe written: {@link ParityRows}). Each target gets
 * the superblock with its own device item, flagged METADUMP_V2 for v0 images and checksummed with the
 * filesystem's algorithm.
 */
final class MultiDevice {
    private MultiDevice() {
    }

    static RestoreSummary restore(Restorer restorer, ImageInput input, ImageHeader header, List<String> targets,
            long started) throws RestoreException {
        Superblock sb = header.superblock();
        Map<Long, byte[]> devItems = header.devItems();
        if (Long.compareUnsigned(sb.numDevices(), targets.size()) != 0 || devItems.size() != targets.size()) {
            throw new RestoreException(input.name() + ": the filesystem has " + Long.toUnsignedString(sb.numDevices())
                    + " devices (" + devItems.size() + " device items in the image's chunk tree), "
                    + targets.size() + " targets given");
        }
        ChunkMap map;
        try {
            map = ChunkMap.of(header.chunks());
        } catch (BtrfsFormatException e) {
            throw new RestoreException(input.name() + ": " + e.getMessage());
        }
        TreeMap<Long, Target> byDevid = new TreeMap<>();
        List<Long> devids = new ArrayList<>(devItems.keySet());
        try {
            for (int i = 0; i < targets.size(); i++) {
                byDevid.put(devids.get(i), restorer.openTarget(targets.get(i)));
            }
            ParityRows parity = new ParityRows();
            Restorer.Written written = restorer.writeItems(input, header, (logical, buf, len) -> {
                int done = 0;
                while (done < len) {
                    long at = logical + done;
                    ChunkItem chunk = map.find(at);
                    if (chunk == null) {
                        throw new RestoreException(input.name() + ": logical " + Long.toUnsignedString(at)
                                + " is in no chunk of the image's chunk tree");
                    }
                    int n = (int) Math.min(len - done, chunk.contiguousFrom(at));
                    parity.touch(chunk, at);
                    for (int mirror = 0; mirror < chunk.copies(); mirror++) {
                        ChunkItem.Location loc = chunk.locate(at, mirror);
                        Target t = byDevid.get(loc.devid());
                        if (t == null) {
                            throw new RestoreException(input.name() + ": chunk " + chunk + " uses devid " + loc.devid()
                                    + ", which has no device item");
                        }
                        t.write(loc.physical(), buf, done, n);
                    }
                    done += n;
                }
            });
            long rows = parity.write(byDevid);
            List<String> notes = new ArrayList<>(written.notes());
            if (rows > 0) {
                notes.add("computed RAID5/6 parity for " + rows + " full stripes");
            }
            long total = 0;
            for (Map.Entry<Long, Target> e : byDevid.entrySet()) {
                byte[] own = superblockFor(header, devItems.get(e.getKey()));
                total += Restorer.finish(e.getValue(), sb, own);
            }
            for (Target t : byDevid.values()) {
                t.commit();
            }
            return new RestoreSummary(written.items(), written.bytes(), total, (System.nanoTime() - started) / 1_000_000,
                    notes);
        } finally {
            for (Target t : byDevid.values()) {
                t.close();
            }
        }
    }

    private static byte[] superblockFor(ImageHeader header, byte[] devItem) {
        byte[] b = header.originalSuperblock().clone();
        Superblock.setDevItem(b, devItem);
        if (header.isV0()) {
            SuperblockPatcher.setFlag(b, Superblock.FLAG_METADUMP_V2);
        }
        header.superblock().checksumType().store(b, 0, Superblock.SIZE);
        return b;
    }
}
