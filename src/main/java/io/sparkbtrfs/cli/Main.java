package io.sparkbtrfs.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;

import io.sparkbtrfs.dump.BlockProblem;
import io.sparkbtrfs.dump.Codec;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.DumpSummary;
import io.sparkbtrfs.dump.Dumper;
import io.sparkbtrfs.dump.Execution;
import io.sparkbtrfs.dump.LeafItemTransform;
import io.sparkbtrfs.dump.RunnerChoice;
import io.sparkbtrfs.dump.StreamFrames;
import io.sparkbtrfs.dump.Timings;
import io.sparkbtrfs.restore.RestoreException;
import io.sparkbtrfs.restore.RestoreSummary;
import io.sparkbtrfs.restore.Restorer;
import io.sparkbtrfs.spark.SparkExecution;
import io.sparkbtrfs.spark.SparkSessions;
import io.sparkbtrfs.store.ImageOutput;
import io.sparkbtrfs.store.OutputFile;
import io.sparkbtrfs.store.Umask;

/**
 * {@code btrfs-image}: parses the reference tool's command line (plus our long options), runs the
 * job, and turns every failure into one {@code ERROR:} line and exit status 1. Also the main class
 * for {@code spark-submit}.
 */
public final class Main {
    /** Overrides where staging parts go (default: next to the target). */
    public static final String STAGING_CONF = "spark.btrfs.staging.dir";

    private Main() {
    }

    public static void main(String[] args) {
        Interrupts.install(Thread.currentThread(), System.err);
        int status = run(args, System.out, System.err);
        System.out.flush();
        Interrupts.finished();
        System.exit(status);
    }

    /** Runs the command; returns the exit status. Never throws. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (io.sparkbtrfs.chain.ChainCommand.handles(args, Main::hadoopConf)) {
            return io.sparkbtrfs.chain.ChainCommand.run(args, out, err, Main::hadoopConf);
        }
        if (io.sparkbtrfs.inspect.InspectCommand.handles(args)) {
            return io.sparkbtrfs.inspect.InspectCommand.run(args, out, err);
        }
        ParseResult parsed = OptionParser.parse(args, System.getenv());
        if (parsed instanceof ParseResult.Exit exit) {
            return exit.writeTo(out, err);
        }
        ImageOptions options = parsed.options();
        try {
            if (options.isRestore()) {
                return restore(options, err);
            }
            return dump(options, err);
        } catch (UserError e) {
            return fail(err, interrupted(e.getMessage()));
        } catch (OutOfMemoryError e) {
            return fail(err, interrupted("out of memory; give the driver more heap (JAVA_OPTS=-Xmx...)"));
        } catch (org.apache.hadoop.fs.FSError e) {
            // Hadoop's local file system wraps write errors (no space left) in an Error.
            return fail(err, interrupted(describeCause(e)));
        } catch (Exception e) {
            // A bug of ours, not the user's input: keep the line, name the type.
            if (Boolean.getBoolean("spark.btrfs.debug")) {
                e.printStackTrace(err);
            }
            return fail(err, interrupted("internal error: " + e));
        }
    }

    /** A failure caused by a signal says so: what failed is only its consequence. */
    private static String interrupted(String message) {
        String signal = Interrupts.received();
        return signal == null ? message : Interrupts.message();
    }

    private static String describeCause(Throwable e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }

    private static int restore(ImageOptions options, PrintStream err) {
        long started = System.nanoTime();
        // Spark and Hadoop classes cost a second to load; a restore from a local file needs neither.
        java.util.function.Supplier<Configuration> hadoop = () -> {
            try {
                return hadoopConf(SparkSessions.sparkConf(options.getMaster(), false, options.getConf()), options);
            } catch (IOException e) {
                throw new UserError("cannot read configuration: " + e.getMessage());
            }
        };
        int threads = options.getThreads() > 0 ? options.getThreads()
                : Math.min(ImageOptions.MAX_THREADS, Runtime.getRuntime().availableProcessors());
        List<String> targets = options.isMultiDevice() ? options.getAllTargets() : List.of(options.getTarget());
        Interrupts.note(String.join(", ", targets) + " left as it was (a device: partly written)");
        try {
            RestoreSummary summary = new Restorer(threads, err,
                    options.getProgress().enabled(Terminal.isStderrTerminal()), options.isForce()).restore(
                            options.getSource(), targets, options.isMultiDevice(), options.isOldRestore(), hadoop,
                            System.in);
            Interrupts.committed();
            RestoreSummary total = summary.withMillis((System.nanoTime() - started) / 1_000_000);
            err.println(total.line(options.getSource(), String.join(", ", targets)));
            return 0;
        } catch (RestoreException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** The Hadoop configuration of a chain subcommand with {@code --conf} options {@code cli}. */
    private static Configuration hadoopConf(java.util.Map<String, String> cli) {
        try {
            return hadoopConf(SparkSessions.sparkConf("local", false, cli), cli);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(new IOException("cannot read configuration: " + e.getMessage(), e));
        }
    }

    /** Hadoop configuration of a run: new files honour the user's umask, not Hadoop's default 022. */
    private static Configuration hadoopConf(SparkConf spark, ImageOptions options) {
        return hadoopConf(spark, options.getConf());
    }

    private static Configuration hadoopConf(SparkConf spark, java.util.Map<String, String> cli) {
        Configuration conf = SparkSessions.hadoopConf(spark, cli);
        String key = "fs.permissions.umask-mode";
        String[] from = conf.getPropertySources(key);
        if (from == null || java.util.Arrays.stream(from).allMatch("core-default.xml"::equals)) {
            conf.set(key, Umask.hadoopForm());
        }
        return conf;
    }

    private static int dump(ImageOptions options, PrintStream err) {
        long started = System.nanoTime();
        String target = options.getTarget();
        Timings timings = new Timings(started);
        List<String> devices = new ArrayList<>();
        devices.add(options.getSource());
        devices.addAll(options.getDevices());
        // Spark's configuration (and its classes) only when Spark may run, or a URI needs Hadoop.
        java.util.function.Supplier<SparkConf> sparkConf = memoized(() -> sparkConf(options));
        java.util.function.Supplier<Configuration> hadoop = memoized(() -> hadoopConf(sparkConf.get(), options));
        long frameBytes = Long.parseLong(setting(options, StreamFrames.FRAME_BYTES_PROPERTY,
                Long.toString(StreamFrames.FRAME_BYTES)));
        DumpSettings settings = new DumpSettings(Codec.of(options.getCompressLevel(), options.getZstdLevel(), frameBytes),
                options.getSanitize(), LeafItemTransform.NONE, options.isBestEffort());
        Dumper.Request request = new Dumper.Request(devices, target, options.isWalkTrees(), settings, options.getSeed(),
                options.getPartitions(), options.getReport(), setting(options, STAGING_CONF, ""),
                options.getProgress().enabled(Terminal.isStderrTerminal()), options.getIncremental());
        long inProcessMax = Long.parseLong(setting(options, RunnerChoice.IN_PROCESS_MAX_BYTES,
                Long.toString(RunnerChoice.DEFAULT_IN_PROCESS_MAX_BYTES)));
        Execution execution = options.getRunner().execution(options.isMasterGiven(), devices, target,
                options.getThreads(), inProcessMax, () -> SparkExecution.startingNow(sparkConf.get(), hadoop.get(), devices));
        timings.mark("configuration");
        Interrupts.note(OutputFile.isStreamedTarget(target) ? "the image sent to " + displayTarget(target)
                + " is incomplete" : target + " was not written");
        Interrupts.onInterrupt(execution::cancel);
        Dumper.Result result;
        try (Execution e = execution) {
            result = new Dumper(e, hadoop, err, timings, Interrupts::committed).dump(request);
        } catch (Dumper.DumpException e) {
            throw new UserError(e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            throw new UserError(e.getCause().getMessage());
        } finally {
            Interrupts.removeCanceller(execution::cancel);
        }
        timings.print(err);
        DumpSummary summary = result.summary();
        warnProblems(result.problems(), err);
        if (settings.sanitize().sanitizes()) {
            err.println(summary.sanitizeLine(settings.sanitize()));
        }
        if (result.delta() != null) {
            io.sparkbtrfs.image.DeltaHeader d = result.delta();
            err.println("delta: base generation " + Long.toUnsignedString(d.baseGeneration()) + ", generation "
                    + Long.toUnsignedString(d.generation()) + ": " + d.carriedUnits() + " of " + d.planUnits()
                    + " blocks carried, " + d.referencedUnits() + " referenced; tree blocks read by the driver: "
                    + result.blocksRead() + " (" + result.planBlocksRead() + " planning the full dump); by the pruned "
                    + "walk: " + result.walkBlocksRead() + ", " + result.walkHow() + "; plan: " + result.planHow());
        }
        if (result.driverReads() != null) {
            err.println(summary.readsLine(result.driverReads(), result.scanReads()));
        }
        err.println(summary.withMillis((System.nanoTime() - started) / 1_000_000).line(options.getSource(),
                displayTarget(target)));
        return 0;
    }

    private static SparkConf sparkConf(ImageOptions options) {
        try {
            // -t N keeps its meaning of "N workers" when we run embedded.
            String master = !options.isMasterGiven() && options.getThreads() > 0 ? "local[" + options.getThreads() + "]"
                    : options.getMaster();
            return SparkSessions.sparkConf(master, options.isMasterGiven(), options.getConf());
        } catch (IOException e) {
            throw new UserError("cannot read Spark configuration: " + e.getMessage());
        }
    }

    /** A setting of ours: {@code --conf KEY=VALUE}, else {@code -DKEY=VALUE}, else {@code otherwise}. */
    private static String setting(ImageOptions options, String key, String otherwise) {
        String v = options.getConf().get(key);
        return v != null ? v : System.getProperty(key, otherwise);
    }

    private static <T> java.util.function.Supplier<T> memoized(java.util.function.Supplier<T> s) {
        return new java.util.function.Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = s.get();
                }
                return value;
            }
        };
    }

    private static String displayTarget(String target) {
        return ImageOutput.STDOUT.equals(target) ? "stdout" : target;
    }

    private static void warnProblems(java.util.Collection<BlockProblem> problems, PrintStream err) {
        if (!problems.isEmpty()) {
            err.println("WARNING: " + problems.size() + " tree block(s) could not be read or validated:");
            for (BlockProblem p : problems) {
                err.println("WARNING:   " + p.line());
            }
        }
    }

    private static int fail(PrintStream err, String message) {
        err.println("ERROR: " + message);
        err.flush();
        return 1;
    }

    /** A failure explained by the message alone. */
    static final class UserError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UserError(String message) {
            super(message, null, false, false);
        }
    }
}
