package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.sparkbtrfs.testing.Fast;

/** Known-answer vectors for the four btrfs checksum algorithms, and the verify/store contract. */
@Fast
class ChecksumTypeTest {

    /** A block whose checksummed part (bytes 32..) is {@code data}, placed at {@code off} in a larger array. */
    private static byte[] block(int off, byte[] data, int trailer) {
        byte[] b = new byte[off + ChecksumType.FIELD_SIZE + data.length + trailer];
        System.arraycopy(data, 0, b, off + ChecksumType.FIELD_SIZE, data.length);
        return b;
    }

    private static byte[] checksum(ChecksumType t, String data) {
        return checksum(t, data, 0);
    }

    /** Computes at a non-zero offset with garbage around the block, so that only bytes off+32..off+len count. */
    private static byte[] checksum(ChecksumType t, String data, int off) {
        byte[] d = data.getBytes(StandardCharsets.US_ASCII);
        byte[] b = block(off, d, 7);
        Arrays.fill(b, 0, off + ChecksumType.FIELD_SIZE, (byte) 0x5A); // prefix and checksum field: not hashed
        Arrays.fill(b, off + ChecksumType.FIELD_SIZE + d.length, b.length, (byte) 0xA5); // after the block
        byte[] out = new byte[ChecksumType.FIELD_SIZE];
        t.compute(b, off, ChecksumType.FIELD_SIZE + d.length, out);
        return Arrays.copyOf(out, t.size());
    }

    private static byte[] le64(long v) {
        byte[] b = new byte[8];
        LittleEndian.put64(b, 0, v);
        return b;
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void crc32cKnownVector() {
        byte[] want = {(byte) 0x83, (byte) 0x92, 0x06, (byte) 0xE3}; // 0xE3069283, little-endian
        assertArrayEquals(want, checksum(ChecksumType.CRC32C, "123456789"));
        assertArrayEquals(want, checksum(ChecksumType.CRC32C, "123456789", 13));
    }

    @Test
    void xxhash64KnownVectors() {
        assertArrayEquals(le64(0xEF46DB3751D8E999L), checksum(ChecksumType.XXHASH64, ""));
        assertArrayEquals(le64(0x44BC2CF5AD770999L), checksum(ChecksumType.XXHASH64, "abc"));
        assertArrayEquals(le64(0x44BC2CF5AD770999L), checksum(ChecksumType.XXHASH64, "abc", 5));
    }

    @Test
    void sha256KnownVector() {
        byte[] want = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertArrayEquals(want, checksum(ChecksumType.SHA256, "abc"));
        assertArrayEquals(want, checksum(ChecksumType.SHA256, "abc", 100));
    }

    @Test
    void blake2b256KnownVector() {
        byte[] want = hex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
        assertArrayEquals(want, checksum(ChecksumType.BLAKE2B, "abc"));
        assertArrayEquals(want, checksum(ChecksumType.BLAKE2B, "abc", 3));
    }

    @Test
    void idsSizesAndLookup() {
        assertEquals(4, ChecksumType.CRC32C.size());
        assertEquals(8, ChecksumType.XXHASH64.size());
        assertEquals(32, ChecksumType.SHA256.size());
        assertEquals(32, ChecksumType.BLAKE2B.size());
        for (ChecksumType t : ChecksumType.values()) {
            assertSame(t, ChecksumType.fromId(t.id()));
        }
        assertSame(ChecksumType.CRC32C, ChecksumType.fromId(0));
        assertSame(ChecksumType.XXHASH64, ChecksumType.fromId(1));
        assertSame(ChecksumType.SHA256, ChecksumType.fromId(2));
        assertSame(ChecksumType.BLAKE2B, ChecksumType.fromId(3));
        assertNull(ChecksumType.fromId(4));
        assertNull(ChecksumType.fromId(-1));
        assertNull(ChecksumType.fromId(0xFFFF));
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void storeThenVerifyRoundTrip(ChecksumType t) {
        int off = 4096;
        int len = 4096;
        byte[] b = new byte[off + len + 4096];
        new Random(t.id()).nextBytes(b);
        byte[] before = b.clone();

        assertFalse(t.verify(b, off, len), "random bytes happen to carry a valid checksum");
        t.store(b, off, len);
        assertTrue(t.verify(b, off, len));

        // Only checksum bytes [off, off+size) changed: the rest of the 32-byte field and everything else stays.
        assertArrayEquals(Arrays.copyOfRange(before, 0, off), Arrays.copyOfRange(b, 0, off));
        assertArrayEquals(Arrays.copyOfRange(before, off + t.size(), b.length),
                Arrays.copyOfRange(b, off + t.size(), b.length));

        // The stored value is what compute produces.
        byte[] sum = new byte[ChecksumType.FIELD_SIZE];
        t.compute(b, off, len, sum);
        assertArrayEquals(Arrays.copyOf(sum, t.size()), Arrays.copyOfRange(b, off, off + t.size()));

        // Bytes of the field past size() are not part of the checksum.
        if (t.size() < ChecksumType.FIELD_SIZE) {
            b[off + ChecksumType.FIELD_SIZE - 1] ^= 0x40;
            assertTrue(t.verify(b, off, len), "bytes past size() must not be compared");
            b[off + ChecksumType.FIELD_SIZE - 1] ^= 0x40;
        }
        // Bytes outside [off, off+len) are not covered.
        b[off - 1] ^= 1;
        b[off + len] ^= 1;
        assertTrue(t.verify(b, off, len));

        // A flipped bit in the covered area or in the checksum itself is detected.
        b[off + len - 1] ^= 1;
        assertFalse(t.verify(b, off, len));
        b[off + len - 1] ^= 1;
        b[off + ChecksumType.FIELD_SIZE] ^= (byte) 0x80;
        assertFalse(t.verify(b, off, len));
        b[off + ChecksumType.FIELD_SIZE] ^= (byte) 0x80;
        b[off + t.size() - 1] ^= 1;
        assertFalse(t.verify(b, off, len));
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void storeKeepsTheUnusedPartOfTheField(ChecksumType t) {
        byte[] b = new byte[4096];
        Arrays.fill(b, 0, ChecksumType.FIELD_SIZE, (byte) 0xEE);
        b[100] = 1;
        t.store(b, 0, b.length);
        for (int i = t.size(); i < ChecksumType.FIELD_SIZE; i++) {
            assertEquals((byte) 0xEE, b[i], "field byte " + i);
        }
        assertTrue(t.verify(b, 0, b.length));
    }
}
