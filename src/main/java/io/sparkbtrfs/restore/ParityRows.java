package io.sparkbtrfs.restore;

import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Raid6;

/**
 * {@code -m} onto RAID5/RAID6 devices: remembers every full stripe ("row") that restored bytes land in,
 * and at the end gives each its parity (P, and Q for RAID6), so that the restored set survives the loss of
 * a device as the original did: the kernel rebuilds a missing device's blocks from the others and the
 * parity. The data strips are read back from the targets, so that what was not restored (zeros in a new
 * file, whatever a block device held) is covered as it is. Thread-safe recording; {@link #write} runs
 * once, after every item is written.
 */
final class ParityRows {
    private final Map<ChunkItem, NavigableSet<Long>> rows = new ConcurrentHashMap<>();

    /** Records that {@code logical} of {@code chunk} was written (nothing for chunks without parity). */
    void touch(ChunkItem chunk, long logical) {
        if (chunk.parityStripes() > 0) {
            rows.computeIfAbsent(chunk, c -> new ConcurrentSkipListSet<>()).add(chunk.row(logical));
        }
    }

    /** Writes the parity of every row recorded; returns how many rows that was. */
    long write(Map<Long, Target> byDevid) throws RestoreException {
        long written = 0;
        for (Map.Entry<ChunkItem, NavigableSet<Long>> e : rows.entrySet()) {
            ChunkItem chunk = e.getKey();
            if (chunk.stripeLen() != ChunkItem.STRIPE_LEN) {
                throw new RestoreException(chunk + " has stripe length " + chunk.stripeLen() + ", not "
                        + ChunkItem.STRIPE_LEN + ": cannot compute its parity");
            }
            int strip = Math.toIntExact(chunk.stripeLen());
            int data = chunk.dataStripes();
            byte[][] strips = new byte[data][strip];
            byte[] p = new byte[strip];
            byte[] q = chunk.parityStripes() == 2 ? new byte[strip] : null;
            for (long row : e.getValue()) {
                for (int i = 0; i < data; i++) {
                    io(chunk, row, i, byDevid).read(chunk.rowStrip(row, i).physical(), strips[i], 0, strip);
                }
                Raid6.syndrome(strips, strip, p, q);
                io(chunk, row, data, byDevid).write(chunk.rowStrip(row, data).physical(), p, 0, strip);
                if (q != null) {
                    io(chunk, row, data + 1, byDevid).write(chunk.rowStrip(row, data + 1).physical(), q, 0, strip);
                }
                written++;
            }
        }
        return written;
    }

    private static Target io(ChunkItem chunk, long row, int index, Map<Long, Target> byDevid) throws RestoreException {
        long devid = chunk.rowStrip(row, index).devid();
        Target t = byDevid.get(devid);
        if (t == null) {
            throw new RestoreException(chunk + " uses devid " + devid + ", which has no device item");
        }
        return t;
    }
}
