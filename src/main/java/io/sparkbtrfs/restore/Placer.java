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
        write(logical, java.nio.ByteBuffer.wrap(buf, 0, len));
    }

    /** Writes {@code buf}'s remaining bytes, which belong at {@code logical}; leaves its position unchanged. */
    void write(long logical, java.nio.ByteBuffer buf) throws RestoreException {
        int len = buf.remaining();
        int base = buf.position();
        int done = 0;
        while (done < len) {
            long at = logical + done;
            Placement p = map.find(at);
            int n;
            java.nio.ByteBuffer piece;
            if (p == null) {
                n = (int) Math.min(len - done, untilNextChunk(at));
                if (!warned.getAndSet(true)) {
                    err.println("WARNING: cannot find a chunk for logical " + Long.toUnsignedString(at)
                            + ", writing at the same physical offset");
                }
                target.write(at, buf.slice(base + done, n));
            } else {
                long inChunk = at - p.logical();
                n = (int) Math.min(len - done, p.length() - inChunk);
                target.write(p.physical() + inChunk, buf.slice(base + done, n));
                if (p.physicalDup() != 0) {
                    target.write(p.physicalDup() + inChunk, buf.slice(base + done, n));
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
