package io.sparkbtrfs.dump;

import io.sparkbtrfs.image.MetadumpFormat;

/**
 * Where every cluster of an uncompressed image starts, known from the plan alone: an item's payload is
 * its content, whose length the plan fixes. This lets tasks write their clusters straight into the final
 * file at their absolute offsets, with no parts to merge.
 */
public final class RawLayout {
    private final long[] offsets;

    private RawLayout(long[] offsets) {
        this.offsets = offsets;
    }

    public static RawLayout of(ItemPlan plan) {
        int clusters = plan.clusters();
        long[] offsets = new long[clusters + 1];
        long pos = 0;
        for (int c = 0; c < clusters; c++) {
            offsets[c] = pos;
            pos = MetadumpFormat.alignUp(pos + MetadumpFormat.INDEX_SIZE + plan.contentBytes(c, c + 1));
        }
        offsets[clusters] = pos;
        return new RawLayout(offsets);
    }

    /** File offset of cluster {@code c}; {@code clusterOffset(clusters)} is the image length. */
    public long clusterOffset(int c) {
        return offsets[c];
    }

    public long length() {
        return offsets[offsets.length - 1];
    }

    /**
     * The entry slots of the index block written just before cluster {@code c} (all zero for the first):
     * what a single writer's reused index buffer holds when it starts cluster {@code c}. Every cluster but
     * the last is full, so the previous cluster alone determines every slot.
     */
    public static byte[] indexBefore(ItemPlan plan, int c) {
        byte[] index = new byte[MetadumpFormat.INDEX_SIZE];
        if (c == 0) {
            return index;
        }
        int first = plan.firstItem(c - 1);
        for (int i = first; i < plan.endItem(c - 1); i++) {
            MetadumpFormat.setEntry(index, i - first, plan.start(i), plan.length(i));
        }
        return index;
    }
}
