package io.sparkbtrfs.chain;

/** A chain that cannot be used, explained by the message alone (one {@code ERROR:} line): link, image, offset. */
public final class ChainException extends Exception {
    private static final long serialVersionUID = 1L;

    public ChainException(String message) {
        super(message, null, false, false);
    }
}
