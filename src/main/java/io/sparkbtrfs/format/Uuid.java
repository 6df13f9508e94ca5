package io.sparkbtrfs.format;

/** UUIDs (fsid, device and chunk-tree UUIDs) as btrfs-progs prints them: lower-case 8-4-4-4-12 hex. */
public final class Uuid {
    private Uuid() {
    }

    /** The first 16 bytes of {@code b} as text. */
    public static String text(byte[] b) {
        StringBuilder s = new StringBuilder(36);
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                s.append('-');
            }
            s.append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append(Character.forDigit(b[i] & 0xf, 16));
        }
        return s.toString();
    }
}
