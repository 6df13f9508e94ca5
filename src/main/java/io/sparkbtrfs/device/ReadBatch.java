package io.sparkbtrfs.device;

import java.util.Arrays;

/**
 * Positional reads of one device gathered to be issued together, each into its own place of one buffer. A
 * remote store serves a batch with a few large requests ({@link BlockSource#read(ReadBatch)}), where reading
 * the ranges one after another would cost a round trip each. Ranges may come in any order and may overlap.
 */
public final class ReadBatch {
    private final byte[] buffer;
    private long[] positions = new long[16];
    private int[] offsets = new int[16];
    private int[] lengths = new int[16];
    private int[] read = new int[16];
    private int count;

    public ReadBatch(byte[] buffer) {
        this.buffer = buffer;
    }

    /** Asks for {@code length} bytes at {@code position} of the device, into {@code buffer[offset..]}; returns its index. */
    public int add(long position, int offset, int length) {
        if (position < 0 || length < 0 || offset < 0 || offset > buffer.length - length) {
            throw new IllegalArgumentException("range of " + length + " bytes at " + position + " into offset " + offset
                    + " of " + buffer.length);
        }
        if (count == positions.length) {
            int n = count * 2;
            positions = Arrays.copyOf(positions, n);
            offsets = Arrays.copyOf(offsets, n);
            lengths = Arrays.copyOf(lengths, n);
            read = Arrays.copyOf(read, n);
        }
        positions[count] = position;
        offsets[count] = offset;
        lengths[count] = length;
        read[count] = 0;
        return count++;
    }

    public int size() {
        return count;
    }

    public byte[] buffer() {
        return buffer;
    }

    public long position(int range) {
        return positions[range];
    }

    public int offset(int range) {
        return offsets[range];
    }

    public int length(int range) {
        return lengths[range];
    }

    /** How many bytes range {@code range} got: its length, fewer only where the device ends. */
    public int bytesRead(int range) {
        return read[range];
    }

    /** Records that range {@code range} got {@code bytes} bytes. */
    public void done(int range, int bytes) {
        if (bytes < 0 || bytes > lengths[range]) {
            throw new IllegalArgumentException(bytes + " bytes for a range of " + lengths[range]);
        }
        read[range] = bytes;
    }

    /** Range indexes in ascending order of position. */
    public int[] byPosition() {
        long[] keyed = new long[count];
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
            keyed[i] = positions[i];
        }
        Arrays.sort(order, (a, b) -> Long.compare(keyed[a], keyed[b]));
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = order[i];
        }
        return out;
    }
}
