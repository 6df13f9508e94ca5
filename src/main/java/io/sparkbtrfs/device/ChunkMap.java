package io.sparkbtrfs.device;

import java.io.Serializable;
import java.util.List;

import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.ChunkItem;

/** Logical → chunk lookup over non-overlapping chunks, sorted by start; immutable and serializable for broadcast. */
public final class ChunkMap implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ChunkItem[] chunks;
    private final long[] starts;

    private ChunkMap(ChunkItem[] chunks) {
        this.chunks = chunks;
        this.starts = new long[chunks.length];
        for (int i = 0; i < chunks.length; i++) {
            starts[i] = chunks[i].start();
        }
    }

    /**
     * Builds a map from chunks in priority order (the sys_chunk_array first, then the chunk tree in key
     * order). Like btrfs, a chunk whose start is already mapped by an earlier one is ignored (the
     * sys_chunk_array repeats chunk tree items, and a damaged copy must not displace a good one); a chunk
     * that starts in a gap but runs into a mapped range is a corrupted chunk tree.
     */
    public static ChunkMap of(List<ChunkItem> inPriorityOrder) throws BtrfsFormatException {
        java.util.TreeMap<Long, ChunkItem> byStart = new java.util.TreeMap<>(Long::compareUnsigned);
        for (ChunkItem c : inPriorityOrder) {
            java.util.Map.Entry<Long, ChunkItem> below = byStart.floorEntry(c.start());
            if (below != null && below.getValue().contains(c.start())) {
                continue;
            }
            java.util.Map.Entry<Long, ChunkItem> above = byStart.higherEntry(c.start());
            if (above != null && (c.end() == 0 || Long.compareUnsigned(c.end(), above.getKey()) > 0)) {
                throw new BtrfsFormatException("chunks overlap: " + c + " and " + above.getValue());
            }
            byStart.put(c.start(), c);
        }
        return new ChunkMap(byStart.values().toArray(new ChunkItem[0]));
    }

    /** The chunk containing {@code logical}, or null. */
    public ChunkItem find(long logical) {
        int found = io.sparkbtrfs.format.UnsignedSearch.floor(starts, logical);
        if (found < 0 || !chunks[found].contains(logical)) {
            return null;
        }
        return chunks[found];
    }

    public List<ChunkItem> chunks() {
        return List.of(chunks);
    }

    public int size() {
        return chunks.length;
    }
}
