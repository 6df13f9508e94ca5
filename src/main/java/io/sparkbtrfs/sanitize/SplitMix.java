package io.sparkbtrfs.sanitize;

import java.util.function.LongSupplier;

/**
 * SplitMix64 (Steele, Lea and Flood; the generator behind java.util.SplittableRandom, whose
 * {@code new SplittableRandom(seed).nextLong()} sequence this reproduces), reseedable so that a task draws
 * every name's randomness from one object instead of allocating a generator per name.
 */
final class SplitMix implements LongSupplier {
    private static final long GAMMA = 0x9e3779b97f4a7c15L;
    private long state;

    SplitMix seed(long seed) {
        state = seed;
        return this;
    }

    @Override
    public long getAsLong() {
        long z = state += GAMMA;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
