package io.sparkbtrfs.cli;

import java.io.PrintStream;

/**
 * Wall time of each phase of a run, printed as one line when the system property
 * {@code spark.btrfs.timings} is true (for benchmarks and the scale model; JAVA_OPTS=-Dspark.btrfs.timings=true).
 */
final class Timings {
    static final String PROPERTY = "spark.btrfs.timings";

    private final StringBuilder line = new StringBuilder("timings:");
    private long last;

    Timings(long startedNanos) {
        this.last = startedNanos;
    }

    void mark(String phase) {
        long now = System.nanoTime();
        line.append(' ').append(phase).append(' ').append((now - last) / 1_000_000).append(" ms,");
        last = now;
    }

    void print(PrintStream err) {
        if (Boolean.getBoolean(PROPERTY)) {
            err.println(line.substring(0, line.length() - 1));
        }
    }
}
