package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * Writes a consecutive range of parts with their index blocks patched as {@link ImageAssembler} patches
 * them (absolute cluster offsets; the stale-entry bytes of the final cluster), so that a store can put the
 * image together from ranges written by executors without the driver touching the bytes. The
 * concatenation of all ranges, in order, is the same bytes as {@link ImageAssembler#assemble}.
 */
public final class PartPatcher {
    private final List<PartResult> parts;
    private final long[] bases;
    private final int lastPart;
    private final byte[] staleSource;

    public PartPatcher(List<PartResult> parts) {
        this.parts = parts;
        this.bases = ImageAssembler.baseOffsets(parts);
        int last = -1;
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).clusters() > 0) {
                last = i;
            }
        }
        byte[] stale = null;
        if (last >= 0 && parts.get(last).clusters() == 1) {
            for (int i = last - 1; i >= 0 && stale == null; i--) {
                if (parts.get(i).clusters() > 0) {
                    stale = parts.get(i).lastIndex();
                }
            }
        }
        this.lastPart = last;
        this.staleSource = stale;
    }

    /** Absolute offset of part {@code i} in the image. */
    public long base(int i) {
        return bases[i];
    }

    /** Total byte length of parts {@code from} (inclusive) to {@code to} (exclusive). */
    public long length(int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) {
            n += parts.get(i).length();
        }
        return n;
    }

    /** True when part {@code i}'s staged bytes are already final (nothing to patch). */
    public boolean unchanged(int i) {
        return parts.get(i).clusters() == 0 || (bases[i] == 0 && !(staleSource != null && i == lastPart));
    }

    /** Writes parts {@code from} to {@code to - 1}, patched; returns the number of bytes written. */
    public long write(int from, int to, ImageAssembler.PartOpener opener, OutputStream out) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int i = from; i < to; i++) {
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
                        int fromByte = MetadumpFormat.HEADER_SIZE + MetadumpFormat.ENTRY_SIZE * n;
                        System.arraycopy(staleSource, fromByte, index, fromByte, MetadumpFormat.ENTRIES_END - fromByte);
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
