package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import io.sparkbtrfs.image.MetadumpFormat;

/**
 * Rewrites one part so that it can be placed into the image as it is, without the driver copying it:
 * each index block gets its absolute offset, and the final cluster gets the stale entry bytes of the
 * previous part's last index (the rule of {@link ImageAssembler}). Concatenating the patched parts in
 * order gives exactly the bytes {@link ImageAssembler#assemble} writes. Used where the store can join
 * files itself (HDFS concat); runs on executors once every part's length is known.
 */
public final class PartPatcher {
    private PartPatcher() {
    }

    /**
     * How to patch one non-empty part: its absolute {@code base} offset in the image, its length and
     * cluster offsets (relative to the part), and the index whose entry tail the part's only cluster
     * takes (null unless this is the final part, holding just the final cluster, after another part).
     */
    public record Patch(int part, long base, long length, long[] clusterOffsets, byte[] staleSource)
            implements Serializable {
    }

    /** The patches of the non-empty parts, in image order; empty parts are left out. */
    public static List<Patch> plan(List<PartResult> parts) {
        long[] bases = ImageAssembler.baseOffsets(parts);
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
        List<Patch> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            PartResult p = parts.get(i);
            if (p.length() == 0) {
                continue;
            }
            out.add(new Patch(p.part(), bases[i], p.length(), p.clusterOffsets(), i == lastPart ? staleSource : null));
        }
        return out;
    }

    /** Copies the part from {@code in} to {@code out} with its index blocks patched; returns the bytes written. */
    public static long patch(Patch patch, InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[1 << 16];
        long pos = 0;
        long[] offsets = patch.clusterOffsets();
        for (long offset : offsets) {
            if (offset < pos || offset > patch.length() - MetadumpFormat.INDEX_SIZE) {
                throw new IOException("part " + patch.part() + ": cluster offset " + offset + " out of order or range");
            }
            pos += copy(in, out, offset - pos, buf, patch.part());
            byte[] index = in.readNBytes(MetadumpFormat.INDEX_SIZE);
            if (index.length != MetadumpFormat.INDEX_SIZE) {
                throw new IOException("part " + patch.part() + " is shorter than reported");
            }
            MetadumpFormat.setBytenr(index, patch.base() + offset);
            if (patch.staleSource() != null) {
                int n = (int) MetadumpFormat.nritems(index);
                int from = MetadumpFormat.entry(n);
                if (from < MetadumpFormat.ENTRIES_END) {
                    System.arraycopy(patch.staleSource(), from, index, from, MetadumpFormat.ENTRIES_END - from);
                }
            }
            out.write(index);
            pos += MetadumpFormat.INDEX_SIZE;
        }
        pos += copy(in, out, patch.length() - pos, buf, patch.part());
        if (in.read() != -1) {
            throw new IOException("part " + patch.part() + " is longer than reported");
        }
        return pos;
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
