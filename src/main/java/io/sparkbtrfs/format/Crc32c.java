package io.sparkbtrfs.format;

/**
 * The raw CRC-32C register (Castagnoli, reflected polynomial 0x82F63B78) with a caller-chosen seed and
 * no final inversion, as btrfs uses it for name hashes: {@code nameHash = update(0xFFFFFFFE, name)}.
 * (java.util.zip.CRC32C cannot be seeded.) The register update is linear over GF(2), which the
 * collision solver of {@code -ss} relies on.
 */
public final class Crc32c {
    public static final int NAME_HASH_SEED = 0xFFFFFFFE;
    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
            }
            TABLE[i] = c;
        }
    }

    private Crc32c() {
    }

    public static int update(int crc, byte[] b, int off, int len) {
        int c = crc;
        for (int i = off; i < off + len; i++) {
            c = TABLE[(c ^ b[i]) & 0xFF] ^ (c >>> 8);
        }
        return c;
    }

    /** btrfs' directory and xattr name hash (the low 32 bits of the key offset). */
    public static int nameHash(byte[] b, int off, int len) {
        if (len >= ONE_SHIFTED.length) {
            return update(NAME_HASH_SEED, b, off, len);
        }
        // The register update is affine: from seed s, n bytes give update(~0, data) ^ Z_n(s ^ ~0), Z_n
        // being n zero-byte steps. java.util.zip.CRC32C (an intrinsic) computes ~update(~0, data), and
        // NAME_HASH_SEED ^ ~0 == 1, whose shifts are tabulated.
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, off, len);
        return ~(int) crc.getValue() ^ ONE_SHIFTED[len];
    }

    /** ONE_SHIFTED[n]: the register 1 after n zero bytes (names are at most 255 bytes; keys at most 64 KiB). */
    private static final int[] ONE_SHIFTED = new int[1 << 16];

    static {
        int c = 1;
        for (int n = 0; n < ONE_SHIFTED.length; n++) {
            ONE_SHIFTED[n] = c;
            c = TABLE[c & 0xFF] ^ (c >>> 8);
        }
    }
}
