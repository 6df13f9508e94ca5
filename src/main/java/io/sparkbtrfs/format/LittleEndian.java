package io.sparkbtrfs.format;

/** Little-endian field access on byte arrays; every on-disk btrfs and metadump integer is little-endian. */
public final class LittleEndian {
    private LittleEndian() {
    }

    public static long u64(byte[] b, int off) {
        return (b[off] & 0xFFL)
                | (b[off + 1] & 0xFFL) << 8
                | (b[off + 2] & 0xFFL) << 16
                | (b[off + 3] & 0xFFL) << 24
                | (b[off + 4] & 0xFFL) << 32
                | (b[off + 5] & 0xFFL) << 40
                | (b[off + 6] & 0xFFL) << 48
                | (b[off + 7] & 0xFFL) << 56;
    }

    /** An unsigned 32-bit field, widened so that callers never see a negative size. */
    public static long u32(byte[] b, int off) {
        return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8 | (b[off + 2] & 0xFFL) << 16 | (b[off + 3] & 0xFFL) << 24;
    }

    public static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
    }

    public static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    public static void put64(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    public static void put16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    public static void put32(byte[] b, int off, long v) {
        for (int i = 0; i < 4; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
