package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import io.sparkbtrfs.device.BlockSources;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.DumpSummary;
import io.sparkbtrfs.dump.Execution;
import io.sparkbtrfs.dump.ExtentScan;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.PartRunner;
import io.sparkbtrfs.store.ImageOutput;

/**
 * The dump on Spark: a context started when first needed (by planning, for a huge extent tree, or by the
 * runner), tasks on its executors ({@link DumpJob}), failures of tasks turned into one line for the user.
 */
public final class SparkExecution implements Execution {
    private final SparkConf sparkConf;
    private final Configuration hadoop;
    private JavaSparkContext sc;
    /** Why the context could not start, once it failed: every later use reports it rather than trying again. */
    private UncheckedIOException startFailure;
    private boolean closed;

    public SparkExecution(SparkConf sparkConf, Configuration hadoop) {
        this.sparkConf = sparkConf;
        this.hadoop = hadoop;
    }

    /**
     * An execution for a dump that runs on Spark whatever its plan. Where that pays, its context starts now, on a
     * thread of its own, while the driver opens the source and plans: when executors are JVMs of their own (they
     * take seconds to start) or a device is remote (the driver's start of S3A and its plan, 1-2 s on bench -w from
     * S3, overlap the context's start). A dump that fails before its parts run has then started Spark for nothing:
     * only time lost (its close waits for the start), the failure is the dump's.
     */
    public static SparkExecution startingNow(SparkConf sparkConf, Configuration hadoop, List<String> devices) {
        SourceWarmup.register(sparkConf, hadoop, devices);
        SparkExecution e = new SparkExecution(sparkConf, hadoop);
        if (SparkSessions.inDriverJvm(sparkConf.get("spark.master", "local"))
                && devices.stream().noneMatch(BlockSources::isUri)) {
            return e;
        }
        Thread t = new Thread(() -> {
            try {
                e.context();
            } catch (RuntimeException | Error ignored) {
                // the runner's own call reports it (kept in startFailure, or met again) if the dump gets that far;
                // nothing printed from this thread
            }
        }, "spark-start");
        t.setDaemon(true);
        t.start();
        return e;
    }

    /** The context, started now if it is not yet; a configuration Spark refuses is an I/O failure with its reason. */
    synchronized JavaSparkContext context() {
        if (closed) {
            throw new UncheckedIOException(new IOException("the dump was cancelled"));
        }
        if (startFailure != null) {
            throw startFailure;
        }
        if (sc == null) {
            try {
                sc = SparkSessions.start(sparkConf);
            } catch (Exception e) { // SparkException, undeclared; configuration errors
                startFailure = new UncheckedIOException(new IOException("cannot start Spark (master "
                        + sparkConf.get("spark.master") + "): " + rootMessage(e)));
                throw startFailure;
            }
        }
        return sc;
    }

    /** Absolute paths unless every executor shares this JVM's working directory (local masters). */
    @Override
    public List<String> deviceNames(List<String> devices) {
        if (SparkSessions.inDriverJvm(sparkConf.get("spark.master"))) {
            return devices;
        }
        return devices.stream().map(d -> BlockSources.isUri(d) ? d : Path.of(d).toAbsolutePath().toString()).toList();
    }

    @Override
    public ExtentScan.Scanner scanner(Volume volume) {
        return ExtentScanJob.scanner(this::context, volume, hadoop, sparkConf);
    }

    @Override
    public io.sparkbtrfs.dump.ChangedBlocks.Spreader spreader(Volume volume) {
        return ChangedWalkJob.spreader(this::context, volume, hadoop, sparkConf);
    }

    @Override
    public PartRunner runner(ItemPlan plan) {
        return new PartRunner() {
            @Override
            public String describe() {
                return "Spark " + sparkConf.get("spark.master");
            }

            @Override
            public DumpSummary write(Volume volume, ItemPlan p, DumpSettings settings, int parts, ImageOutput output,
                    ProgressListener progress) throws IOException {
                JavaSparkContext context;
                try {
                    context = context();
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
                try {
                    return DumpJob.run(context, hadoop, volume.descriptor(), volume.mergeGap(), p, settings, parts, output,
                            progress);
                } catch (IOException e) {
                    throw e;
                } catch (Exception e) {
                    // Spark rethrows task failures as SparkException (checked, but thrown from Scala undeclared).
                    throw new IOException(taskFailure(e, volume.descriptor().primary()), e);
                }
            }
        };
    }

    /** The line for a failed job: a task's own message (naming what failed), else the innermost one. */
    static String taskFailure(Throwable e, String source) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DumpTaskException) {
                String m = t.getMessage();
                return m != null && m.startsWith("unable to write ") ? m : source + ": " + m;
            }
        }
        return "dump failed: " + rootMessage(e);
    }

    /** The innermost message, for failures that are not ours (Spark, Hadoop): one line, no trace. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl) : m;
    }

    @Override
    public synchronized void cancel() {
        if (sc != null) {
            sc.cancelAllJobs();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (sc != null) {
            try {
                sc.stop();
            } catch (RuntimeException ignored) {
                // the outcome is decided; a context that fails to stop changes nothing of it
            }
            sc = null;
        }
    }
}
