package io.sparkbtrfs.dump;

import io.sparkbtrfs.device.Volume;

/** Everything on threads of this JVM: no Spark classes are loaded. */
public final class InProcessExecution implements Execution {
    /** Extent-tree leaves from which planning scans runs of leaves on several threads. */
    static final int PARALLEL_SCAN_LEAVES = 1024;
    static final int LEAVES_PER_RUN = 256;

    private final int threads;

    public InProcessExecution(int threads) {
        this.threads = Math.max(1, threads);
    }

    @Override
    public ExtentScan.Scanner scanner(Volume volume) {
        return ExtentScan.parallel(volume, threads, PARALLEL_SCAN_LEAVES, LEAVES_PER_RUN);
    }

    @Override
    public PartRunner runner(ItemPlan plan) {
        return new InProcessRunner(threads);
    }

    @Override
    public void cancel() {
        // the caller's thread is interrupted; workers end with the pool
    }

    @Override
    public void close() {
        // nothing started
    }
}
