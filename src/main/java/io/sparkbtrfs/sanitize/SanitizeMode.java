package io.sparkbtrfs.sanitize;

/** {@code -s} given zero times, once, or twice or more. */
public enum SanitizeMode {
    /** Names are copied as they are. */
    NONE,
    /** {@code -s}: names are replaced by random printable garbage of the same length. */
    GARBAGE,
    /** {@code -ss}: names are replaced by strings with the same name hash (crc32c) where one can be found. */
    COLLISIONS;

    /** True unless names are copied as they are. */
    public boolean sanitizes() {
        return this != NONE;
    }
}
