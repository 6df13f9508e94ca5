package io.sparkbtrfs.spark;

/** A task failure whose message is meant for the user as is (it reaches the driver as the job's cause). */
public final class DumpTaskException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DumpTaskException(String message, Throwable cause) {
        super(message, cause);
    }
}
