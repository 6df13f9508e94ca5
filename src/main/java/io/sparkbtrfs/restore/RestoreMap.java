package io.sparkbtrfs.restore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Logical → target placement for the restore, built from the chunk-tree blocks of the image (spec §5.2). */
public final class RestoreMap {
    private final Placement[] byLogical;
    private final long[] starts;
    private final boolean clearSpaceCache;

    RestoreMap(List<Placement> placements, boolean clearSpaceCache) {
        List<Placement> sorted = new ArrayList<>(placements);
        sorted.sort(Comparator.comparing(Placement::logical, Long::compareUnsigned));
        this.byLogical = sorted.toArray(new Placement[0]);
        this.starts = new long[byLogical.length];
        for (int i = 0; i < byLogical.length; i++) {
            starts[i] = byLogical[i].logical();
        }
        this.clearSpaceCache = clearSpaceCache;
    }

    /** The placement containing {@code logical}, or null. */
    public Placement find(long logical) {
        int found = io.sparkbtrfs.format.UnsignedSearch.floor(starts, logical);
        return found >= 0 && byLogical[found].contains(logical) ? byLogical[found] : null;
    }

    public List<Placement> placements() {
        return List.of(byLogical);
    }

    /** A remapped chunk covered a superblock mirror: the v1 space cache must be invalidated. */
    public boolean clearSpaceCache() {
        return clearSpaceCache;
    }
}
