package io.sparkbtrfs.dump;

import java.util.List;
import java.util.function.Supplier;

import io.sparkbtrfs.device.BlockSources;

/**
 * {@code --runner}: where a dump's parts run, and the {@link Execution} that follows from it. Spark runs a dump
 * when asked ({@code --runner spark}, a master, spark-submit) or when a name is a URI; otherwise threads of this
 * JVM, which {@link #AUTO} trades for Spark when the plan is large (see the README for the measured crossover).
 */
public enum RunnerChoice {
    /** In this JVM's threads for local sources and targets without a master and small plans, else on Spark. */
    AUTO,
    /** {@code --runner in-process}. */
    IN_PROCESS,
    /** {@code --runner spark}. */
    SPARK;

    /** Content bytes from which an automatic dump runs on Spark even without a master (see the README). */
    public static final String IN_PROCESS_MAX_BYTES = "spark.btrfs.inProcess.maxBytes";
    public static final long DEFAULT_IN_PROCESS_MAX_BYTES = 64L << 30;

    /**
     * True when the dump runs on Spark whatever its size: asked for ({@code --runner spark}, {@code masterGiven},
     * spark-submit's system properties) or, unless in-process was asked for, a device or the target is a URI.
     */
    public boolean sparkRequired(boolean masterGiven, List<String> devices, String target) {
        if (this == SPARK || masterGiven || System.getProperty("SPARK_SUBMIT") != null
                || System.getProperty("spark.master") != null) {
            return true;
        }
        if (this == IN_PROCESS) {
            return false;
        }
        return devices.stream().anyMatch(BlockSources::isUri) || BlockSources.isUri(target);
    }

    /**
     * The execution of a dump of {@code devices} to {@code target}: {@code spark} (created only when Spark runs),
     * threads of this JVM ({@code threads}, 0: one per core), or for {@link #AUTO} whichever suits the plan's size.
     */
    public Execution execution(boolean masterGiven, List<String> devices, String target, int threads,
            long maxInProcessBytes, Supplier<Execution> spark) {
        if (sparkRequired(masterGiven, devices, target)) {
            return spark.get();
        }
        InProcessExecution inProcess = new InProcessExecution(
                threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        return this == IN_PROCESS ? inProcess : Execution.auto(inProcess, spark, maxInProcessBytes);
    }
}
