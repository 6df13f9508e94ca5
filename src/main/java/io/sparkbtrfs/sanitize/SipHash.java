package io.sparkbtrfs.sanitize;

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed pseudo-random function for short inputs. Here it is
 * the per-name randomness of sanitizing: without the dump's secret key nobody can recompute a name's
 * substitute and so confirm a guessed name. Written from the paper's description; checked against
 * Guava's implementation in the tests.
 */
final class SipHash {
    private SipHash() {
    }

    static long hash(long k0, long k1, byte[] m, int off, int len) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        int end = off + (len & ~7);
        for (int p = off; p < end; p += 8) {
            long w = (m[p] & 0xFFL) | (m[p + 1] & 0xFFL) << 8 | (m[p + 2] & 0xFFL) << 16 | (m[p + 3] & 0xFFL) << 24
                    | (m[p + 4] & 0xFFL) << 32 | (m[p + 5] & 0xFFL) << 40 | (m[p + 6] & 0xFFL) << 48
                    | (m[p + 7] & 0xFFL) << 56;
            v3 ^= w;
            for (int r = 0; r < 2; r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= w;
        }
        long last = word(m, end, len & 7) | ((long) len << 56);
        v3 ^= last;
        for (int r = 0; r < 2; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= last;
        v2 ^= 0xff;
        for (int r = 0; r < 4; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** {@code n <= 8} bytes at {@code p}, little-endian. */
    private static long word(byte[] m, int p, int n) {
        long w = 0;
        for (int i = n - 1; i >= 0; i--) {
            w = (w << 8) | (m[p + i] & 0xFFL);
        }
        return w;
    }
}
