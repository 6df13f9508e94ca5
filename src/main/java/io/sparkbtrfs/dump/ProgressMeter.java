package io.sparkbtrfs.dump;

import java.io.PrintStream;

/** A single self-overwriting status line on an interactive terminal. */
public final class ProgressMeter implements PartRunner.ProgressListener {
    private final PrintStream err;
    private final long totalBlocks;
    private final long totalBytes;
    private final long started = System.nanoTime();
    private boolean printed;

    public ProgressMeter(PrintStream err, long totalBlocks, long totalBytes) {
        this.err = err;
        this.totalBlocks = totalBlocks;
        this.totalBytes = totalBytes;
    }

    @Override
    public synchronized void update(long blocks, long bytes) {
        double secs = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        int pct = totalBytes > 0 ? (int) (100 * bytes / totalBytes) : 100;
        err.printf("\rdumping: %d/%d blocks, %s/%s (%d%%), %s/s   ", blocks, totalBlocks, DumpSummary.human(bytes),
                DumpSummary.human(totalBytes), pct, DumpSummary.human((long) (bytes / secs)));
        err.flush();
        printed = true;
    }

    public synchronized void finish() {
        if (printed) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
