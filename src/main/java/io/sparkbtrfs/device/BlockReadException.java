package io.sparkbtrfs.device;

import java.io.IOException;

/** A tree block or logical range that could not be read or validated on any copy. */
public class BlockReadException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long logical;

    public BlockReadException(long logical, String message) {
        super(message);
        this.logical = logical;
    }

    public long logical() {
        return logical;
    }
}
