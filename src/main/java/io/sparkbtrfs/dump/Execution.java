package io.sparkbtrfs.dump;

import io.sparkbtrfs.device.Volume;

/**
 * How one dump's work is executed: the scan of a huge extent tree while planning, and the part runner once the
 * plan is known. {@link InProcessExecution} uses threads of this JVM; the Spark execution a Spark context,
 * started only when first needed; {@link #auto} chooses between them by the plan's size.
 */
public interface Execution extends AutoCloseable {
    /** How planning scans the extent tree's leaves. */
    ExtentScan.Scanner scanner(Volume volume);

    /**
     * Where a delta's pruned walk continues once it meets many changed nodes ({@link ChangedBlocks.Spreader}); null:
     * it stays on this thread, depth first.
     */
    default ChangedBlocks.Spreader spreader(Volume volume) {
        return null;
    }

    /** The runner for {@code plan}. */
    PartRunner runner(ItemPlan plan);

    /**
     * The names of the source's devices as this execution's workers open them (executors in other JVMs run in
     * their own working directories).
     */
    default java.util.List<String> deviceNames(java.util.List<String> devices) {
        return devices;
    }

    /** Cancels running work (a signal); the run then fails. Never throws. */
    void cancel();

    /** Releases what was started. Never throws. */
    @Override
    void close();

    /**
     * In-process for plans of less than {@code maxInProcessBytes} of content, else {@code large} (created only
     * then). Planning scans in-process: on one machine threads of this JVM do what local executors would.
     */
    static Execution auto(InProcessExecution small, java.util.function.Supplier<Execution> large,
            long maxInProcessBytes) {
        return new Execution() {
            private Execution started;

            @Override
            public ExtentScan.Scanner scanner(Volume volume) {
                return small.scanner(volume);
            }

            @Override
            public synchronized PartRunner runner(ItemPlan plan) {
                if (plan.contentBytes(0, plan.clusters()) < maxInProcessBytes) {
                    return small.runner(plan);
                }
                started = large.get();
                return started.runner(plan);
            }

            @Override
            public synchronized void cancel() {
                small.cancel();
                if (started != null) {
                    started.cancel();
                }
            }

            @Override
            public synchronized void close() {
                small.close();
                if (started != null) {
                    started.close();
                }
            }
        };
    }
}
