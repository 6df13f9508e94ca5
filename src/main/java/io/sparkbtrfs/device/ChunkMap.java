package io.sparkbtrfs.device;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
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

    /** Builds a map, rejecting chunks whose logical ranges overlap (a corrupted chunk tree). */
    public static ChunkMap of(Collection<ChunkItem> items) throws BtrfsFormatException {
        List<ChunkItem> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparing(ChunkItem::start, Long::compareUnsigned));
        List<ChunkItem> unique = new ArrayList<>();
        for (ChunkItem c : sorted) {
            if (!unique.isEmpty()) {
                ChunkItem prev = unique.get(unique.size() - 1);
                if (prev.equals(c)) {
                    continue; // the sys_chunk_array repeats chunk tree items
                }
                if (prev.end() == 0 || Long.compareUnsigned(prev.end(), c.start()) > 0) {
                    throw new BtrfsFormatException("chunks overlap: " + prev + " and " + c);
                }
            }
            unique.add(c);
        }
        return new ChunkMap(unique.toArray(new ChunkItem[0]));
    }

    /** The chunk containing {@code logical}, or null. */
    public ChunkItem find(long logical) {
        int lo = 0;
        int hi = starts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(starts[mid], logical) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
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
