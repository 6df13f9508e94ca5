package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;


/**
 * Concatenates parts into the final image. Parts are written with cluster offsets relative to
 * themselves; each index block gets its absolute offset here. The final cluster's unused entry slots
 * get the previous cluster's entries when that cluster lives in another part, so the image is the same
 * bytes as one written in a single pass.
 */
public final class ImageAssembler {
    private ImageAssembler() {
    }

    /** Opens part {@code i}'s bytes. */
    @FunctionalInterface
    public interface PartOpener {
        InputStream open(int part) throws IOException;
    }

    /** Absolute file offset of each part: prefix sums of part lengths. */
    public static long[] baseOffsets(List<PartResult> parts) {
        long[] bases = new long[parts.size()];
        long base = 0;
        for (int i = 0; i < parts.size(); i++) {
            bases[i] = base;
            base += parts.get(i).length();
        }
        return bases;
    }

    /** Writes the whole image to {@code out}; returns its length. */
    public static long assemble(List<PartResult> parts, PartOpener opener, OutputStream out) throws IOException {
        java.util.Map<Integer, Integer> indexOfPart = new java.util.HashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            indexOfPart.put(parts.get(i).part(), i);
        }
        long total = 0;
        for (PartPatcher.Patch patch : PartPatcher.plan(parts)) {
            try (InputStream in = opener.open(indexOfPart.get(patch.part()))) {
                total += PartPatcher.patch(patch, in, out);
            }
        }
        return total;
    }
}
