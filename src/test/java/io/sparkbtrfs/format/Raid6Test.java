package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * RAID5/6 parity against a byte-at-a-time evaluation of its definition (P = ⊕ Dᵢ, Q = Σ 2ⁱ·Dᵢ in GF(2⁸)
 * modulo 0x11d), and Q's defining property: it lets two lost data strips be solved for.
 */
class Raid6Test {
    /** a·b in GF(2⁸) modulo x⁸+x⁴+x³+x²+1, by shift-and-add. */
    private static int mul(int a, int b) {
        int r = 0;
        for (int i = 0; i < 8; i++) {
            if ((b & (1 << i)) != 0) {
                r ^= a;
            }
            a = Raid6.times2(a);
        }
        return r;
    }

    private static int pow2(int n) {
        int r = 1;
        for (int i = 0; i < n; i++) {
            r = Raid6.times2(r);
        }
        return r;
    }

    @Test
    void multiplyingEightLanesAtOnceMatchesOneByteAtATime() {
        for (int b = 0; b < 256; b++) {
            long lanes = 0;
            for (int lane = 0; lane < 8; lane++) {
                lanes |= (long) ((b + 37 * lane) & 0xff) << (8 * lane);
            }
            long doubled = Raid6.times2(lanes);
            for (int lane = 0; lane < 8; lane++) {
                assertEquals(Raid6.times2((b + 37 * lane) & 0xff), (int) (doubled >>> (8 * lane)) & 0xff);
            }
        }
        assertEquals(0x1d, Raid6.times2(0x80));
        assertEquals(0x8e, Raid6.times2(0x47));
        // 2 generates the field: its powers run through all 255 non-zero bytes before returning to 1
        java.util.Set<Integer> powers = new java.util.HashSet<>();
        for (int k = 0; k < 255; k++) {
            powers.add(pow2(k));
        }
        assertEquals(255, powers.size());
        assertEquals(1, pow2(255));
    }

    @Test
    void syndromeMatchesTheDefinition() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int disks : new int[] {1, 2, 3, 5, 13}) {
            int len = 4096;
            byte[][] data = new byte[disks][len];
            for (byte[] d : data) {
                rnd.nextBytes(d);
            }
            byte[] p = new byte[len];
            byte[] q = new byte[len];
            Raid6.syndrome(data, len, p, q);
            byte[] wantP = new byte[len];
            byte[] wantQ = new byte[len];
            for (int x = 0; x < len; x++) {
                int px = 0;
                int qx = 0;
                for (int i = 0; i < disks; i++) {
                    px ^= data[i][x] & 0xff;
                    qx ^= mul(pow2(i), data[i][x] & 0xff);
                }
                wantP[x] = (byte) px;
                wantQ[x] = (byte) qx;
            }
            assertArrayEquals(wantP, p, disks + " data strips: P");
            assertArrayEquals(wantQ, q, disks + " data strips: Q");
            byte[] pOnly = new byte[len];
            Raid6.syndrome(data, len, pOnly, null);
            assertArrayEquals(wantP, pOnly, "RAID5: P alone");
        }
    }

    @Test
    void twoLostDataStripsCanBeSolvedFor() {
        // D_a and D_b lost: P' = P ⊕ (other strips) = D_a ⊕ D_b, Q' = Q ⊕ Σ others = g^a·D_a ⊕ g^b·D_b.
        SplittableRandom rnd = new SplittableRandom(9);
        int disks = 4;
        int len = 64;
        byte[][] data = new byte[disks][len];
        for (byte[] d : data) {
            rnd.nextBytes(d);
        }
        byte[] p = new byte[len];
        byte[] q = new byte[len];
        Raid6.syndrome(data, len, p, q);
        int a = 1;
        int b = 3;
        for (int x = 0; x < len; x++) {
            int pp = p[x] & 0xff;
            int qq = q[x] & 0xff;
            for (int i = 0; i < disks; i++) {
                if (i != a && i != b) {
                    pp ^= data[i][x] & 0xff;
                    qq ^= mul(pow2(i), data[i][x] & 0xff);
                }
            }
            // D_b = (Q' ⊕ g^a·P') / (g^a ⊕ g^b): search the one byte that fits
            int found = -1;
            for (int db = 0; db < 256; db++) {
                int da = pp ^ db;
                if ((mul(pow2(a), da) ^ mul(pow2(b), db)) == qq) {
                    assertEquals(-1, found, "unique solution");
                    found = db;
                }
            }
            assertEquals(data[b][x] & 0xff, found);
            assertEquals(data[a][x] & 0xff, pp ^ found);
        }
    }
}
