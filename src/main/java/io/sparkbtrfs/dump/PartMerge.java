package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

import io.sparkbtrfs.store.ImageOutput;

/**
 * How the parts a runner wrote become the image at its output, uncommitted (the caller checks, then commits).
 * Every merge gives the bytes of one pass over the plan. Here: {@link #inPlace} (the parts were written at their
 * final offsets) and {@link #streaming} (copied in order through this JVM, patched by {@link ImageAssembler});
 * the Spark runner adds HDFS concat and S3 part copy, which patch the parts on executors ({@link PartPatcher})
 * and join them in the store. The in-process runner streams parts from memory as they are produced.
 */
@FunctionalInterface
public interface PartMerge {
    /** What {@link #merge} returns when it cannot merge this output (the next merge is tried). */
    long NOT_APPLICABLE = -1;

    /** Assembles the image of {@code parts} (in part order) at {@code output}; returns its length. */
    long merge(List<PartResult> parts, ImageOutput output) throws IOException;

    /** The length given by the first of {@code merges} that applies; the last should always apply. */
    static long first(List<PartResult> parts, ImageOutput output, List<PartMerge> merges) throws IOException {
        for (PartMerge m : merges) {
            long length = m.merge(parts, output);
            if (length != NOT_APPLICABLE) {
                return length;
            }
        }
        throw new IllegalStateException("no merge applies to " + output.target());
    }

    /**
     * Uncompressed parts written at their final offsets in the image's temporary file ({@link RawLayout}): nothing
     * is copied; their lengths must add up to the plan's image.
     */
    static PartMerge inPlace(ItemPlan plan) {
        return (parts, output) -> {
            long length = parts.stream().mapToLong(PartResult::length).sum();
            long planned = RawLayout.of(plan).length();
            if (length != planned) {
                throw new IOException("parts wrote " + length + " bytes, the plan has " + planned);
            }
            return length;
        };
    }

    /** The parts opened by {@code opener}, copied in order into the output's stream with their indexes patched. */
    static PartMerge streaming(ImageAssembler.PartOpener opener) {
        return (parts, output) -> {
            try (OutputStream out = new java.io.BufferedOutputStream(output.open(), 1 << 20)) {
                return ImageAssembler.assemble(parts, opener, out);
            }
        };
    }
}
