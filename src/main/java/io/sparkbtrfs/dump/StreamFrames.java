package io.sparkbtrfs.dump;

import java.util.Arrays;

/**
 * Where the zstd frames of a stream image ({@code --compress zstd}) begin and end: runs of whole clusters,
 * a frame ending after the first cluster that brings it to the frame size ({@link #FRAME_BYTES} of content
 * unless {@code spark.btrfs.zstd.frameBytes} says otherwise) or at the last cluster. A function of the plan alone, so that the image's bytes do not depend on how the dump is
 * partitioned: partitions are runs of whole frames.
 */
public final class StreamFrames {
    /**
     * Content per frame: large enough that what repeats across leaves (names stored three times, keys and
     * headers) is within reach of the matcher (on the 1 M-file benchmark, 8 MiB frames come within 2% of one
     * stream over the whole image, 1 MiB frames 19% over it), small enough to give every core frames to
     * compress and to decode.
     */
    public static final long FRAME_BYTES = 8L << 20;
    /** Spark property overriding {@link #FRAME_BYTES} (another size gives other bytes, as deterministic). */
    public static final String FRAME_BYTES_PROPERTY = "spark.btrfs.zstd.frameBytes";

    private StreamFrames() {
    }

    /** The cluster after the last of the frame that begins at cluster {@code start}. */
    public static int frameEnd(ItemPlan plan, int start, long frameBytes) {
        long content = 0;
        int c = start;
        while (c < plan.clusters() && content < frameBytes) {
            content += plan.contentBytes(c, c + 1);
            c++;
        }
        return c;
    }

    /** The first cluster of every frame, then {@code plan.clusters()}. */
    public static int[] bounds(ItemPlan plan, long frameBytes) {
        int[] bounds = new int[16];
        int n = 0;
        int c = 0;
        do {
            if (n == bounds.length) {
                bounds = Arrays.copyOf(bounds, n * 2);
            }
            bounds[n++] = c;
            c = c < plan.clusters() ? frameEnd(plan, c, frameBytes) : c;
        } while (bounds[n - 1] < plan.clusters());
        return Arrays.copyOf(bounds, n);
    }
}
