package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.format.ChunkItem.Location;
import io.sparkbtrfs.testing.Fast;

/**
 * Logical → physical mapping of every profile (spec §1.8), against hand-computed expectations, and chunk item
 * parsing.
 *
 * <p>All chunks start at {@link #START} (1 GiB) with stripe_len 64 KiB; stripe k lives on devid {@code 11+k} at
 * physical {@code (k+1)·256 MiB} so that a wrong stripe index shows in both fields.
 */
@Fast
class ChunkItemTest {
    private static final long S = 65536;
    private static final long START = 1L << 30;
    private static final long LEN = 1L << 30;

    private static long dev(int k) {
        return 11 + k;
    }

    private static long phys(int k) {
        return (k + 1L) << 28;
    }

    private static ChunkItem chunk(long type, int stripes, int sub) {
        long[] devids = new long[stripes];
        long[] offsets = new long[stripes];
        for (int k = 0; k < stripes; k++) {
            devids[k] = dev(k);
            offsets[k] = phys(k);
        }
        return new ChunkItem(START, LEN, S, type, sub, devids, offsets);
    }

    /** Asserts that copy {@code mirror} of START+offset is stripe {@code k} at phys(k)+{@code within}. */
    private static void at(ChunkItem c, long offset, int mirror, int k, long within) {
        Location want = new Location(dev(k), phys(k) + within);
        assertEquals(want, c.locate(START + offset, mirror), c + " offset " + offset + " mirror " + mirror);
    }

    private static final long DATA = ChunkItem.TYPE_DATA;
    private static final long META = ChunkItem.TYPE_METADATA;

    @Test
    void single() {
        ChunkItem c = chunk(DATA, 1, 0);
        assertEquals(1, c.copies());
        for (long off : new long[] {0, 1, S - 1, S, S + 1, 7 * S + 123, LEN - 1}) {
            at(c, off, 0, 0, off);
        }
    }

    @Test
    void dup() {
        // DUP: both stripes on the same device (devids here differ only to make the stripe index visible).
        ChunkItem c = chunk(META | ChunkItem.DUP, 2, 0);
        assertEquals(2, c.copies());
        for (long off : new long[] {0, S - 1, S, 5 * S + 17, LEN - 1}) {
            at(c, off, 0, 0, off);
            at(c, off, 1, 1, off);
        }
    }

    @Test
    void raid1() {
        ChunkItem c = chunk(META | ChunkItem.RAID1, 2, 1);
        assertEquals(2, c.copies());
        for (long off : new long[] {0, S - 1, S, 3 * S + 4095, LEN - 1}) {
            at(c, off, 0, 0, off);
            at(c, off, 1, 1, off);
        }
    }

    @Test
    void raid1c3() {
        ChunkItem c = chunk(META | ChunkItem.RAID1C3, 3, 1);
        assertEquals(3, c.copies());
        for (long off : new long[] {0, S, 9 * S + 1, LEN - 1}) {
            at(c, off, 0, 0, off);
            at(c, off, 1, 1, off);
            at(c, off, 2, 2, off);
        }
    }

    @Test
    void raid1c4() {
        ChunkItem c = chunk(META | ChunkItem.RAID1C4, 4, 1);
        assertEquals(4, c.copies());
        at(c, 2 * S + 5, 3, 3, 2 * S + 5);
    }

    @Test
    void raid0ThreeStripes() {
        ChunkItem c = chunk(DATA | ChunkItem.RAID0, 3, 1);
        assertEquals(1, c.copies());
        // stripe_nr = off / S; idx = stripe_nr % 3; physical = (stripe_nr / 3)·S + off % S
        at(c, 0, 0, 0, 0);
        at(c, S - 1, 0, 0, S - 1);
        at(c, S, 0, 1, 0);
        at(c, 2 * S - 1, 0, 1, S - 1);
        at(c, 2 * S + 5, 0, 2, 5);
        at(c, 3 * S, 0, 0, S);
        at(c, 3 * S + 100, 0, 0, S + 100);
        at(c, 7 * S + 100, 0, 1, 2 * S + 100); // stripe 7: idx 1, row 2
        at(c, 8 * S, 0, 2, 2 * S);
        long last = LEN - 1; // stripe 16383: idx 16383 % 3 = 0, row 5461
        at(c, last, 0, 0, 5461 * S + S - 1);
    }

    @Test
    void raid10FourStripesTwoSubStripes() {
        ChunkItem c = chunk(DATA | ChunkItem.RAID10, 4, 2);
        assertEquals(2, c.copies());
        // factor = 4/2 = 2; idx = (stripe_nr % 2)·2 + mirror; physical = (stripe_nr / 2)·S + off % S
        at(c, 0, 0, 0, 0);
        at(c, 0, 1, 1, 0);
        at(c, S - 1, 0, 0, S - 1);
        at(c, S - 1, 1, 1, S - 1);
        at(c, S, 0, 2, 0);
        at(c, S, 1, 3, 0);
        at(c, 2 * S + 7, 0, 0, S + 7);
        at(c, 2 * S + 7, 1, 1, S + 7);
        at(c, 3 * S, 0, 2, S);
        at(c, 3 * S, 1, 3, S);
        at(c, 5 * S + 9, 0, 2, 2 * S + 9);
        at(c, 5 * S + 9, 1, 3, 2 * S + 9);
    }

    @Test
    void raid5ThreeStripes() {
        ChunkItem c = chunk(DATA | ChunkItem.RAID5, 3, 1);
        // No parity reconstruction: one readable copy (spec §1.8 allows skipping mirrors > 1).
        assertEquals(1, c.copies());
        // data stripes d = 2; row = nr / 2; dn = nr % 2; idx = (row + dn) % 3; physical = row·S + in-stripe
        at(c, 0, 0, 0, 0); // nr 0: row 0 dn 0 -> 0
        at(c, S - 1, 0, 0, S - 1);
        at(c, S, 0, 1, 0); // nr 1: row 0 dn 1 -> 1
        at(c, 2 * S, 0, 1, S); // nr 2: row 1 dn 0 -> 1
        at(c, 3 * S + 3, 0, 2, S + 3); // nr 3: row 1 dn 1 -> 2
        at(c, 4 * S, 0, 2, 2 * S); // nr 4: row 2 dn 0 -> 2
        at(c, 5 * S + S - 1, 0, 0, 2 * S + S - 1); // nr 5: row 2 dn 1 -> 0
        at(c, 6 * S, 0, 0, 3 * S); // nr 6: row 3 dn 0 -> 0
    }

    @Test
    void parityStripsRotateAfterTheDataStrips() {
        ChunkItem r5 = chunk(DATA | ChunkItem.RAID5, 3, 1);
        assertEquals(1, r5.parityStripes());
        assertEquals(2, r5.dataStripes());
        assertEquals(0, r5.row(START + 2 * S - 1));
        assertEquals(1, r5.row(START + 2 * S));
        // row r: strip i (data 0, data 1, P) on stripe (r + i) % 3, at physical offset r·S of that stripe
        assertEquals(new Location(dev(2), phys(2)), r5.rowStrip(0, 2)); // P of row 0
        assertEquals(new Location(dev(0), phys(0) + S), r5.rowStrip(1, 2)); // P of row 1
        assertEquals(new Location(dev(1), phys(1) + 2 * S), r5.rowStrip(2, 2)); // P of row 2
        ChunkItem r6 = chunk(DATA | ChunkItem.RAID6, 4, 1);
        assertEquals(2, r6.parityStripes());
        assertEquals(new Location(dev(2), phys(2)), r6.rowStrip(0, 2)); // P of row 0
        assertEquals(new Location(dev(3), phys(3)), r6.rowStrip(0, 3)); // Q of row 0
        assertEquals(new Location(dev(0), phys(0) + 3 * S), r6.rowStrip(3, 1)); // data 1 of row 3
        assertEquals(new Location(dev(1), phys(1) + 3 * S), r6.rowStrip(3, 2)); // P of row 3
        assertEquals(new Location(dev(2), phys(2) + 3 * S), r6.rowStrip(3, 3)); // Q of row 3
        assertEquals(0, chunk(DATA | ChunkItem.RAID1, 2, 1).parityStripes());
    }

    @Test
    void raid6FourStripes() {
        ChunkItem c = chunk(DATA | ChunkItem.RAID6, 4, 1);
        assertEquals(1, c.copies());
        // d = 2; row = nr / 2; dn = nr % 2; idx = (row + dn) % 4
        at(c, 0, 0, 0, 0); // nr 0: row 0 -> 0
        at(c, S + 1, 0, 1, 1); // nr 1: row 0 dn 1 -> 1
        at(c, 2 * S, 0, 1, S); // nr 2: row 1 -> 1
        at(c, 3 * S, 0, 2, S); // nr 3: row 1 dn 1 -> 2
        at(c, 4 * S, 0, 2, 2 * S); // nr 4: row 2 -> 2
        at(c, 5 * S, 0, 3, 2 * S); // nr 5: row 2 dn 1 -> 3
        at(c, 6 * S + 8, 0, 3, 3 * S + 8); // nr 6: row 3 -> 3
        at(c, 7 * S + 8, 0, 0, 3 * S + 8); // nr 7: row 3 dn 1 -> 0
        at(c, 8 * S, 0, 0, 4 * S); // nr 8: row 4 -> 0
    }

    @Test
    void contiguousFromStopsAtStripeAndChunkEnds() {
        ChunkItem r0 = chunk(DATA | ChunkItem.RAID0, 3, 1);
        assertEquals(S, r0.contiguousFrom(START));
        assertEquals(S - 100, r0.contiguousFrom(START + 100));
        assertEquals(1, r0.contiguousFrom(START + S - 1));
        assertEquals(S, r0.contiguousFrom(START + S));
        assertEquals(1, r0.contiguousFrom(START + LEN - 1));
        assertEquals(4096, r0.contiguousFrom(START + LEN - 4096));

        // A chunk whose length is not a multiple of the stripe length ends inside a stripe.
        ChunkItem odd = new ChunkItem(START, 100_000, S, DATA, 0, new long[] {1}, new long[] {0});
        assertEquals(100_000 - (S + 10), odd.contiguousFrom(START + S + 10));
        assertEquals(1, odd.contiguousFrom(START + 99_999));
    }

    /**
     * For every profile and copy, a run of {@code contiguousFrom} bytes maps to one device range: its last byte
     * lies on the same device, exactly run−1 bytes after its first.
     */
    @Test
    void contiguousRunsAreContiguousOnDisk() {
        List<ChunkItem> all = List.of(chunk(DATA, 1, 0), chunk(META | ChunkItem.DUP, 2, 0),
                chunk(META | ChunkItem.RAID1, 2, 1), chunk(META | ChunkItem.RAID1C3, 3, 1),
                chunk(DATA | ChunkItem.RAID0, 3, 1), chunk(DATA | ChunkItem.RAID10, 4, 2),
                chunk(DATA | ChunkItem.RAID5, 3, 1), chunk(DATA | ChunkItem.RAID6, 4, 1));
        long[] offsets = {0, 1, S - 1, S, S + 4096, 3 * S - 1, 12345678, LEN - S, LEN - 1};
        for (ChunkItem c : all) {
            for (long off : offsets) {
                long run = c.contiguousFrom(START + off);
                assertTrue(run >= 1 && run <= LEN - off, c + " run " + run + " at " + off);
                for (int m = 0; m < c.copies(); m++) {
                    Location a = c.locate(START + off, m);
                    Location b = c.locate(START + off + run - 1, m);
                    assertEquals(a.devid(), b.devid(), c + " at " + off);
                    assertEquals(a.physical() + run - 1, b.physical(), c + " at " + off);
                }
            }
        }
    }

    @Test
    void contains() {
        ChunkItem c = chunk(DATA, 1, 0);
        assertTrue(c.contains(START));
        assertTrue(c.contains(START + LEN - 1));
        assertFalse(c.contains(START + LEN));
        assertFalse(c.contains(START - 1));
        assertFalse(c.contains(-1L));
        assertEquals(START + LEN, c.end());

        long high = 0xFFFF_FFFF_0000_0000L; // a chunk ending exactly at 2^64
        ChunkItem top = new ChunkItem(high, 1L << 32, S, DATA, 0, new long[] {1}, new long[] {0});
        assertEquals(0, top.end());
        assertTrue(top.contains(-1L));
        assertTrue(top.contains(high));
        assertFalse(top.contains(high - 1));
        assertFalse(top.contains(0));
    }

    // ---- parse ---------------------------------------------------------------------------------------------------

    /** Chunk item bytes: stripe k = (devid 11+k, offset (k+1)·256 MiB, uuid filled with k). */
    private static byte[] item(long length, long stripeLen, long type, int numStripes, int subStripes, int stripesPresent) {
        byte[] b = new byte[ChunkItem.HEADER_SIZE + ChunkItem.STRIPE_SIZE * stripesPresent];
        LittleEndian.put64(b, 0, length);
        LittleEndian.put64(b, 8, 2);
        LittleEndian.put64(b, 16, stripeLen);
        LittleEndian.put64(b, 24, type);
        LittleEndian.put32(b, 32, stripeLen);
        LittleEndian.put32(b, 36, stripeLen);
        LittleEndian.put32(b, 40, 4096);
        b[44] = (byte) numStripes;
        b[45] = (byte) (numStripes >> 8);
        b[46] = (byte) subStripes;
        for (int k = 0; k < stripesPresent; k++) {
            int s = ChunkItem.HEADER_SIZE + ChunkItem.STRIPE_SIZE * k;
            LittleEndian.put64(b, s, dev(k));
            LittleEndian.put64(b, s + 8, phys(k));
            java.util.Arrays.fill(b, s + 16, s + 32, (byte) k);
        }
        return b;
    }

    private static byte[] item(long length, long stripeLen, long type, int numStripes, int subStripes) {
        return item(length, stripeLen, type, numStripes, subStripes, numStripes);
    }

    @Test
    void parseReadsEveryField() throws BtrfsFormatException {
        byte[] raw = item(LEN, S, DATA | ChunkItem.RAID10, 4, 2);
        byte[] padded = new byte[raw.length + 40];
        System.arraycopy(raw, 0, padded, 17, raw.length);
        ChunkItem c = ChunkItem.parse(START, padded, 17, raw.length, "test");
        assertEquals(START, c.start());
        assertEquals(LEN, c.length());
        assertEquals(S, c.stripeLen());
        assertEquals(DATA | ChunkItem.RAID10, c.type());
        assertEquals(4, c.numStripes());
        assertEquals(2, c.subStripes());
        assertEquals(48 + 4 * 32, c.itemSize());
        for (int k = 0; k < 4; k++) {
            assertEquals(dev(k), c.devid(k));
            assertEquals(phys(k), c.offset(k));
        }
        assertEquals(chunk(DATA | ChunkItem.RAID10, 4, 2), c);
    }

    private static void parseFails(byte[] b, int avail, String expected) {
        BtrfsFormatException e = assertThrows(BtrfsFormatException.class, () -> ChunkItem.parse(START, b, 0, avail, "where"));
        assertTrue(e.getMessage().startsWith("where"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "\"" + e.getMessage() + "\" should contain \"" + expected + "\"");
    }

    private static void parseFails(byte[] b, String expected) {
        parseFails(b, b.length, expected);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3 * 65536, 65535, 65537, 1L << 31, -1L})
    void rejectsBadStripeLength(long stripeLen) {
        parseFails(item(LEN, stripeLen, DATA, 1, 0), "stripe length " + stripeLen);
    }

    @Test
    void rejectsZeroLength() {
        parseFails(item(0, S, DATA, 1, 0), "invalid length 0");
    }

    @Test
    void rejectsRaid10WithOddStripes() {
        parseFails(item(LEN, S, DATA | ChunkItem.RAID10, 3, 2), "3 stripes and 2 sub-stripes");
        parseFails(item(LEN, S, DATA | ChunkItem.RAID10, 4, 0), "4 stripes and 0 sub-stripes");
    }

    @Test
    void rejectsRaid56WithoutDataStripes() {
        parseFails(item(LEN, S, DATA | ChunkItem.RAID5, 1, 1), "only 1 stripes");
        parseFails(item(LEN, S, DATA | ChunkItem.RAID6, 2, 1), "only 2 stripes");
    }

    @Test
    void rejectsStripeCountsTheBufferCannotHold() {
        parseFails(item(LEN, S, DATA, 0, 0), "no stripes");
        parseFails(item(LEN, S, DATA, 2, 0, 1), "claims 2 stripes");
        parseFails(item(LEN, S, DATA, 65535, 0, 1), "claims 65535 stripes");
        byte[] ok = item(LEN, S, DATA, 1, 0);
        parseFails(ok, ok.length - 1, "claims 1 stripes");
        parseFails(ok, 47, "truncated");
    }

    @Test
    void acceptsChunkEndingAtTwoTo64() throws BtrfsFormatException {
        ChunkItem c = ChunkItem.parse(-(1L << 32), item(1L << 32, S, DATA, 1, 0), 0, 80, "top");
        assertEquals(0, c.end());
    }

    /** Addresses are u64 (spec §9.8): a chunk that straddles 2^63 does not wrap around. */
    @Test
    void chunkStraddlingTwoTo63IsAccepted() throws BtrfsFormatException {
        long justBelow = Long.MAX_VALUE - S + 1; // 2^63 - 64 KiB
        ChunkItem straddling = ChunkItem.parse(justBelow, item(1L << 20, S, DATA, 1, 0), 0, 80, "x");
        assertTrue(straddling.contains(Long.MIN_VALUE)); // 2^63
        assertEquals(justBelow + (1L << 20), straddling.end());
    }

    /** A chunk that runs past 2^64 wraps around and must be rejected. */
    @Test
    void chunkRunningPastTwoTo64IsRejected() {
        BtrfsFormatException e = assertThrows(BtrfsFormatException.class,
                () -> ChunkItem.parse(-4096L, item(8192, S, DATA, 1, 0), 0, 80, "x"));
        assertTrue(e.getMessage().contains("wraps around"), e.getMessage());
    }
}
