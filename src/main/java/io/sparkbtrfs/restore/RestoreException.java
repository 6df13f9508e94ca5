package io.sparkbtrfs.restore;

/** A restore that cannot go on; the message names the image offset or the target and what is wrong. */
public class RestoreException extends Exception {
    private static final long serialVersionUID = 1L;

    public RestoreException(String message) {
        super(message);
    }

    public RestoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
