package io.sparkbtrfs.format;

import java.util.List;

/**
 * The logical ranges of the system chunks a superblock's {@code sys_chunk_array} names. A restore (ours and
 * the reference's) takes every tree block an image holds in these ranges for a chunk-tree block, before any
 * other tree can be read: a dump must not put any other block there, and a restore rejects an image that
 * does. Lengths are hostile (a fuzzed chunk may span most of the address space), so every comparison is an
 * unsigned interval test that cannot overflow.
 */
public final class SystemRanges {
    private final long[] starts;
    private final long[] lengths;

    private SystemRanges(long[] starts, long[] lengths) {
        this.starts = starts;
        this.lengths = lengths;
    }

    public static SystemRanges of(Superblock sb) {
        List<ChunkItem> system = sb.systemChunks().stream().filter(c -> (c.type() & ChunkItem.TYPE_SYSTEM) != 0).toList();
        long[] starts = new long[system.size()];
        long[] lengths = new long[system.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = system.get(i).start();
            lengths[i] = system.get(i).length();
        }
        return new SystemRanges(starts, lengths);
    }

    /** Whether {@code [start, start+length)} shares a byte with a system chunk. */
    public boolean intersects(long start, long length) {
        for (int i = 0; i < starts.length; i++) {
            boolean startsInside = Long.compareUnsigned(start - starts[i], lengths[i]) < 0;
            boolean chunkStartsInside = Long.compareUnsigned(starts[i] - start, length) < 0;
            if (startsInside || chunkStartsInside) {
                return true;
            }
        }
        return false;
    }
}
