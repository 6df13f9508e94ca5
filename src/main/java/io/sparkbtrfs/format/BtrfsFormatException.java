package io.sparkbtrfs.format;

/**
 * On-disk data that does not have the structure btrfs defines. The message names what is wrong and
 * where (an address or offset), so that it can be shown to the user as is.
 */
public class BtrfsFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public BtrfsFormatException(String message) {
        super(message);
    }
}
