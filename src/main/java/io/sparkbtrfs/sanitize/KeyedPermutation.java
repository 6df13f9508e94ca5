package io.sparkbtrfs.sanitize;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import io.sparkbtrfs.format.LittleEndian;

/**
 * A keyed permutation of [0, 2^bits) (8-round balanced Feistel network, bits even, at most 62), its round keys
 * derived from the dump's secret and a domain label. Walking it cyclically from an element's own position gives
 * a derangement of any subset (the "next member after me" of a fixed keyed cycle): distinct inputs, distinct
 * outputs, no fixed point, no coordination between executors.
 */
final class KeyedPermutation {
    private static final int ROUNDS = 8;
    private final long[] keys = new long[ROUNDS];
    private final int half;
    private final long halfMask;
    private final long mask;

    KeyedPermutation(long secret, String domain, int bits) {
        if (bits < 2 || bits > 62 || (bits & 1) != 0) {
            throw new IllegalArgumentException("bits " + bits);
        }
        half = bits / 2;
        halfMask = (1L << half) - 1;
        mask = (1L << bits) - 1;
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] s = new byte[8];
            LittleEndian.put64(s, 0, secret);
            md.update(s);
            md.update(domain.getBytes(StandardCharsets.US_ASCII));
            byte[] d = md.digest();
            for (int i = 0; i < 4; i++) {
                keys[i] = LittleEndian.u64(d, 8 * i);
                keys[i + 4] = mix(keys[i] ^ 0x9E3779B97F4A7C15L);
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final java.util.concurrent.ConcurrentHashMap<String, KeyedPermutation> CACHE =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * As the constructor, shared: a permutation costs a SHA-256 to key, and names of one length share it. At
     * most a few hundred per secret; the cache empties itself beyond 4096.
     */
    static KeyedPermutation cached(long secret, String domain, int bits) {
        if (CACHE.size() > 4096) {
            CACHE.clear();
        }
        return CACHE.computeIfAbsent(secret + " " + bits + " " + domain, k -> new KeyedPermutation(secret, domain, bits));
    }

    /** The smallest even number of bits whose range holds {@code n} values. */
    static int bitsFor(long n) {
        int b = 64 - Long.numberOfLeadingZeros(Math.max(1, n - 1));
        return Math.max(2, b + (b & 1));
    }

    long size() {
        return mask + 1;
    }

    long forward(long x) {
        long l = x >>> half;
        long r = x & halfMask;
        for (int i = 0; i < ROUNDS; i++) {
            long t = l ^ (mix(keys[i] ^ r) & halfMask);
            l = r;
            r = t;
        }
        return (l << half) | r;
    }

    long inverse(long y) {
        long l = y >>> half;
        long r = y & halfMask;
        for (int i = ROUNDS - 1; i >= 0; i--) {
            long t = r ^ (mix(keys[i] ^ l) & halfMask);
            r = l;
            l = t;
        }
        return (l << half) | r;
    }

    /** The j-th element after the one at {@code position} (see {@link #inverse}) on the keyed cycle. */
    long after(long position, long j) {
        return forward((position + j) & mask);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
