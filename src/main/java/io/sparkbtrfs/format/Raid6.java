package io.sparkbtrfs.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Parity of a RAID5/RAID6 full stripe as btrfs computes it: P is the XOR of the data strips; Q is the
 * Reed-Solomon syndrome Σ gⁱ·Dᵢ over GF(2⁸) with generator g = 2 and the field polynomial
 * x⁸+x⁴+x³+x²+1 (0x11d), data strip i being the i-th in logical order. Evaluated by Horner's rule from
 * the last strip down, eight bytes at a time (a byte-wise multiply by 2 is a shift plus a conditional
 * XOR of 0x1d, done for all eight lanes of a long at once).
 */
public final class Raid6 {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_SEVEN = 0x7f7f7f7f7f7f7f7fL;
    private static final int POLY_LOW = 0x1d;

    private Raid6() {
    }

    /**
     * Computes P (and Q when {@code q} is not null) of {@code data[0..][0..len)} into {@code p} and
     * {@code q}. {@code len} must be a multiple of 8 (strips are 64 KiB).
     */
    public static void syndrome(byte[][] data, int len, byte[] p, byte[] q) {
        if (len % 8 != 0) {
            throw new IllegalArgumentException("strip length " + len + " is not a multiple of 8");
        }
        int last = data.length - 1;
        for (int d = 0; d < len; d += 8) {
            long wp = (long) LONGS.get(data[last], d);
            long wq = wp;
            for (int z = last - 1; z >= 0; z--) {
                long wd = (long) LONGS.get(data[z], d);
                wp ^= wd;
                wq = times2(wq) ^ wd;
            }
            LONGS.set(p, d, wp);
            if (q != null) {
                LONGS.set(q, d, wq);
            }
        }
    }

    /** Each of the eight bytes of {@code v} multiplied by 2 in GF(2⁸). */
    static long times2(long v) {
        long overflow = (v & HIGH_BITS) >>> 7; // 1 in each lane whose top bit shifts out
        return ((v & LOW_SEVEN) << 1) ^ (overflow * POLY_LOW);
    }

    /** Multiplies one byte by 2 in GF(2⁸) (the reference for tests). */
    static int times2(int b) {
        int r = (b << 1) & 0xff;
        return (b & 0x80) != 0 ? r ^ POLY_LOW : r;
    }
}
