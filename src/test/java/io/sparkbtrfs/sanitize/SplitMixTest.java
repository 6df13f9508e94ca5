package io.sparkbtrfs.sanitize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

@Fast
class SplitMixTest {
    @Test
    void reproducesSplittableRandomFromTheSameSeed() {
        SplitMix m = new SplitMix();
        for (long seed : new long[] {0, 1, -1, 0x123456789abcdefL, Long.MIN_VALUE}) {
            SplittableRandom r = new SplittableRandom(seed);
            m.seed(seed);
            for (int i = 0; i < 100; i++) {
                assertEquals(r.nextLong(), m.getAsLong(), "seed " + seed + " draw " + i);
            }
        }
    }
}
