package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

@Fast
class UnsignedSearchTest {
    /** Ascending as unsigned: the last two are above 2^63. */
    private static final long[] SORTED = {0, 16384, 16384, 1L << 40, Long.MIN_VALUE, -1L};

    @Test
    void lowerBoundIsTheFirstAtOrAbove() {
        assertEquals(0, UnsignedSearch.lowerBound(SORTED, 0));
        assertEquals(1, UnsignedSearch.lowerBound(SORTED, 1));
        assertEquals(1, UnsignedSearch.lowerBound(SORTED, 16384), "the first of equal ones");
        assertEquals(3, UnsignedSearch.lowerBound(SORTED, 16385));
        assertEquals(4, UnsignedSearch.lowerBound(SORTED, (1L << 40) + 1), "unsigned: above 2^63 sorts last");
        assertEquals(5, UnsignedSearch.lowerBound(SORTED, Long.MIN_VALUE + 1));
        assertEquals(5, UnsignedSearch.lowerBound(SORTED, -1L));
        assertEquals(0, UnsignedSearch.lowerBound(new long[0], 7));
    }

    @Test
    void floorIsTheLastAtOrBelow() {
        assertEquals(-1, UnsignedSearch.floor(new long[] {5}, 4));
        assertEquals(2, UnsignedSearch.floor(SORTED, 16384));
        assertEquals(3, UnsignedSearch.floor(SORTED, Long.MAX_VALUE));
    }
}
