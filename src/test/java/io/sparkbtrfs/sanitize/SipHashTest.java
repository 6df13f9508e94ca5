package io.sparkbtrfs.sanitize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import com.google.common.hash.Hashing;

import io.sparkbtrfs.testing.Fast;

@Fast
class SipHashTest {
    @Test
    void paperTestVector() {
        // SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e
        byte[] m = new byte[15];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) i;
        }
        assertEquals(0xa129ca6149be45e5L, SipHash.hash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L, m, 0, 15));
    }

    @Test
    void agreesWithGuavaAtEveryLengthAndOffset() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int len = 0; len <= 300; len++) {
            long k0 = rnd.nextLong();
            long k1 = rnd.nextLong();
            byte[] b = new byte[len + 5];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) rnd.nextInt(256);
            }
            long want = Hashing.sipHash24(k0, k1).hashBytes(b, 5, len).asLong();
            assertEquals(want, SipHash.hash(k0, k1, b, 5, len), "length " + len);
        }
    }
}
