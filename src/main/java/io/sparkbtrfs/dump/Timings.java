package io.sparkbtrfs.dump;

import java.io.PrintStream;

/**
 * Wall time of each phase of a run, printed as one line when the system property
 * {@code spark.btrfs.timings} is true (for benchmarks and the scale model; JAVA_OPTS=-Dspark.btrfs.timings=true).
 */
public final class Timings {
    public static final String PROPERTY = "spark.btrfs.timings";

    private final StringBuilder line = new StringBuilder("timings:");
    private long last;

    public Timings(long startedNanos) {
        this.last = startedNanos;
    }

    /** Ends the phase {@code phase} now. */
    public synchronized void mark(String phase) {
        long now = System.nanoTime();
        line.append(' ').append(phase).append(' ').append((now - last) / 1_000_000).append(" ms,");
        last = now;
    }

    /** Adds a figure that is not a phase ("runner in-process", "tree blocks read by the driver 12"). */
    public synchronized void note(String name, Object value) {
        line.append(' ').append(name).append(' ').append(value).append(',');
    }

    public synchronized void print(PrintStream err) {
        if (Boolean.getBoolean(PROPERTY)) {
            err.println(line.substring(0, line.length() - 1));
        }
    }
}
