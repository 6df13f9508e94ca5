package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

@Fast
class BufferPoolTest {

    @Test
    void aReturnedArrayServesTheNextRequestThatFitsIt() {
        BufferPool pool = new BufferPool(1 << 30);
        byte[] a = pool.take(200_000);
        assertEquals(4 << 16, a.length, "rounded up to 64 KiB");
        pool.give(a);
        assertTrue(a == pool.take(250_000));
        pool.give(a);
        assertTrue(a != pool.take(150_000), "would waste more than a quarter");
        assertTrue(a == pool.take(262_144));
    }

    @Test
    void keepsAtMostItsLimit() {
        BufferPool pool = new BufferPool(1 << 20);
        byte[] a = pool.take(1 << 20);
        byte[] b = pool.take(1 << 20);
        pool.give(a);
        pool.give(b); // over the limit: left to the collector
        assertTrue(a == pool.take(1 << 20));
        assertTrue(b != pool.take(1 << 20));
    }

    @Test
    void smallAndOddRequests() {
        BufferPool pool = new BufferPool(1 << 30);
        assertEquals(1 << 16, pool.take(0).length);
        assertEquals(1 << 16, pool.take(1).length);
        pool.give(null);
    }
}
