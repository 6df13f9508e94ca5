package io.sparkbtrfs.restore;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;

/** Writes logical ranges at their placed physical offsets, split at chunk boundaries, DUP copies too. */
final class Placer {
    private final RestoreMap map;
    private final Target target;
    private final PrintStream err;
    private final AtomicBoolean warned = new AtomicBoolean();

    Placer(RestoreMap map, Target target, PrintStream err) {
        this.map = map;
        this.target = target;
        this.err = err;
    }

    void write(long logical, byte[] buf, int len) throws RestoreException {
        int done = 0;
        while (done < len) {
            long at = logical + done;
            Placement p = map.find(at);
            int n;
            if (p == null) {
                n = (int) Math.min(len - done, untilNextChunk(at));
                if (!warned.getAndSet(true)) {
                    err.println("WARNING: cannot find a chunk for logical " + Long.toUnsignedString(at)
                            + ", writing at the same physical offset");
                }
                target.write(at, buf, done, n);
            } else {
                long inChunk = at - p.logical();
                n = (int) Math.min(len - done, p.length() - inChunk);
                target.write(p.physical() + inChunk, buf, done, n);
                if (p.physicalDup() != 0) {
                    target.write(p.physicalDup() + inChunk, buf, done, n);
                }
            }
            done += n;
        }
    }

    private long untilNextChunk(long at) {
        long best = Long.MAX_VALUE;
        for (Placement p : map.placements()) {
            long d = p.logical() - at;
            if (Long.compareUnsigned(p.logical(), at) > 0 && d < best && d > 0) {
                best = d;
            }
        }
        return best;
    }
}
