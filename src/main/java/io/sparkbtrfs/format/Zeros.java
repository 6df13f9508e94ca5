package io.sparkbtrfs.format;

/**
 * Zero-fills byte ranges by copying from a shared zero array. {@code System.arraycopy} is a vectorised
 * intrinsic in both JIT tiers, while {@code Arrays.fill} is vectorised only by C2, and the tool runs with
 * C1 alone (short-lived JVM: see scripts/btrfs-image).
 */
public final class Zeros {
    private static final byte[] ZEROS = new byte[64 << 10];

    private Zeros() {
    }

    /** Zeroes {@code b[from .. to)}. */
    public static void fill(byte[] b, int from, int to) {
        if (from < 0 || to > b.length || from > to) {
            throw new ArrayIndexOutOfBoundsException("range [" + from + ", " + to + ") of " + b.length);
        }
        for (int at = from; at < to; at += ZEROS.length) {
            System.arraycopy(ZEROS, 0, b, at, Math.min(ZEROS.length, to - at));
        }
    }

    /** Zeroes field [offset, offset+length) of the {@code size}-byte item at {@code b[item..]} if it holds it. */
    static void clear(byte[] b, int item, int size, int offset, int length) {
        if (size >= offset + length) {
            fill(b, item + offset, item + offset + length);
        }
    }
}
