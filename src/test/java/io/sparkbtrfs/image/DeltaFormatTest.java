package io.sparkbtrfs.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.testing.Fast;

/** The records of a delta image: header round trip, and every hostile field refused with where it was. */
@Fast
class DeltaFormatTest {
    private static final byte[] FSID = new byte[16];

    private static DeltaHeader header(long planBytes) {
        int items = (int) (planBytes / DeltaHeader.PLAN_ITEM_BYTES);
        return new DeltaHeader(16384, FSID, 40, 30, 0x1234abcd, false, true, 9, 2, 0, 8 << 20, 77L, items, 50_000, 60,
                12, DeltaRecords.planRecords(planBytes), planBytes, 5, 70);
    }

    private static DeltaHeader decode(byte[] record) throws ImageFormatException {
        return DeltaHeader.decode(DeltaRecords.decode(record, DeltaRecords.TYPE_HEADER, "d.img: item 0"),
                "d.img: item 0");
    }

    @Test
    void headerRoundTrip() throws ImageFormatException {
        DeltaHeader h = header(1300);
        List<byte[]> records = DeltaRecords.all(h, new byte[1300]);
        assertEquals(2, records.size());
        DeltaHeader back = decode(records.get(0));
        assertEquals(h, back);
        assertEquals(49_940, back.referencedUnits());
        assertEquals(77L, back.seedFingerprint());
    }

    @Test
    void planSpansRecordsOfBoundedSize() {
        int big = (DeltaRecords.MAX_BODY * 2 + 39) / 13 * 13; // three plan records
        List<byte[]> records = DeltaRecords.all(header(big), new byte[big]);
        assertEquals(4, records.size());
        for (byte[] r : records) {
            assertTrue(r.length <= MetadumpFormat.MAX_PENDING_V0);
        }
    }

    private static String refused(byte[] record) {
        return assertThrows(ImageFormatException.class, () -> decode(record)).getMessage();
    }

    /** The header record with field {@code off} set to {@code v} (u32 or u64) and its crc made right again. */
    private static byte[] with(int off, long v, boolean wide) {
        byte[] body = header(1300).encode();
        if (wide) {
            LittleEndian.put64(body, off, v);
        } else {
            LittleEndian.put32(body, off, v);
        }
        return DeltaRecords.encode(DeltaRecords.TYPE_HEADER, body, 0, body.length);
    }

    @Test
    void hostileHeadersAreRefusedWithTheirReason() {
        assertTrue(refused(with(0, 3, false)).contains("d.img: item 0: delta version 3"));
        assertTrue(refused(with(0, 1, false)).contains("delta header of 112 bytes (expected 108)"));
        assertTrue(refused(with(108, 101, false)).contains("101 listed items of a plan of 100"));
        assertTrue(refused(with(4, 3000, false)).contains("nodesize 3000"));
        assertTrue(refused(with(32, 41, true)).contains("base generation 41 is newer than generation 40"));
        assertTrue(refused(with(80, 50_001, true)).contains("counts out of range"));
        assertTrue(refused(with(96, 1L << 40, true)).contains("plan of"));
        assertTrue(refused(with(96, 1301, true)).contains("plan of 1301 bytes"));
        assertTrue(refused(with(92, 7, false)).contains("in 7 records"));
        assertTrue(refused(with(44, 8, false)).contains("unknown flags"));
    }

    /** A version 1 header (no listed items) still reads: its plan is not amended, a full extent scan is made. */
    @Test
    void versionOneHeaderReadsWithoutListedItems() throws ImageFormatException {
        byte[] body = java.util.Arrays.copyOf(header(1300).encode(), MetadumpFormat.Delta.HEADER_SIZE_V1);
        LittleEndian.put32(body, 0, 1);
        DeltaHeader back = decode(DeltaRecords.encode(DeltaRecords.TYPE_HEADER, body, 0, body.length));
        assertEquals(0, back.listedItems());
        assertEquals(100, back.planItems());
        assertEquals(77L, back.seedFingerprint());
    }

    @Test
    void damagedRecordsAreRefused() {
        byte[] r = DeltaRecords.all(header(1300), new byte[1300]).get(0);
        byte[] flipped = r.clone();
        flipped[DeltaRecords.PREFIX + 30] ^= 1;
        assertTrue(refused(flipped).contains("record checksum mismatch"));
        byte[] cut = java.util.Arrays.copyOf(r, r.length - 1);
        assertTrue(refused(cut).contains("declares"));
        assertTrue(refused(new byte[5]).contains("a record of 5 bytes"));
        byte[] plan = DeltaRecords.all(header(1300), new byte[1300]).get(1);
        assertTrue(refused(plan).contains("record of type 2 where type 1 belongs"));
    }
}
