package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.image.MetadumpFormat;

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
        long[] bases = baseOffsets(parts);
        int lastPart = -1;
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).clusters() > 0) {
                lastPart = i;
            }
        }
        byte[] staleSource = null;
        if (lastPart >= 0 && parts.get(lastPart).clusters() == 1) {
            for (int i = lastPart - 1; i >= 0 && staleSource == null; i--) {
                if (parts.get(i).clusters() > 0) {
                    staleSource = parts.get(i).lastIndex();
                }
            }
        }
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int i = 0; i < parts.size(); i++) {
            PartResult part = parts.get(i);
            if (part.length() == 0) {
                continue;
            }
            try (InputStream in = opener.open(i)) {
                long pos = 0;
                long[] offsets = part.clusterOffsets();
                for (int c = 0; c < offsets.length; c++) {
                    pos += copy(in, out, offsets[c] - pos, buf, i);
                    byte[] index = in.readNBytes(MetadumpFormat.INDEX_SIZE);
                    if (index.length != MetadumpFormat.INDEX_SIZE) {
                        throw new IOException("part " + i + " is shorter than reported");
                    }
                    LittleEndian.put64(index, 8, bases[i] + offsets[c]);
                    if (staleSource != null && i == lastPart) {
                        int n = (int) LittleEndian.u32(index, 16);
                        int from = MetadumpFormat.HEADER_SIZE + MetadumpFormat.ENTRY_SIZE * n;
                        System.arraycopy(staleSource, from, index, from, MetadumpFormat.ENTRIES_END - from);
                    }
                    out.write(index);
                    pos += MetadumpFormat.INDEX_SIZE;
                }
                pos += copy(in, out, part.length() - pos, buf, i);
                if (in.read() != -1) {
                    throw new IOException("part " + i + " is longer than reported");
                }
                total += pos;
            }
        }
        return total;
    }

    private static long copy(InputStream in, OutputStream out, long n, byte[] buf, int part) throws IOException {
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("part " + part + " is shorter than reported");
            }
            out.write(buf, 0, r);
            left -= r;
        }
        return n;
    }
}
