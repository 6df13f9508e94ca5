package io.sparkbtrfs.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.BlockSources;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.dump.BlockProblem;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.LeafItemTransform;
import io.sparkbtrfs.dump.Planner;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.restore.RestoreException;
import io.sparkbtrfs.sanitize.NameSanitizer;
import io.sparkbtrfs.restore.RestoreSummary;
import io.sparkbtrfs.restore.Restorer;
import io.sparkbtrfs.spark.DumpJob;
import io.sparkbtrfs.spark.DumpSummary;
import io.sparkbtrfs.spark.ProgressMeter;
import io.sparkbtrfs.spark.SparkSessions;
import io.sparkbtrfs.store.ImageOutput;

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
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /** Runs the command; returns the exit status. Never throws. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
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
            return fail(err, e.getMessage());
        } catch (OutOfMemoryError e) {
            return fail(err, "out of memory; give the driver more heap (JAVA_OPTS=-Xmx...)");
        } catch (Exception e) {
            // A bug of ours, not the user's input: keep the line, name the type.
            return fail(err, "internal error: " + e);
        }
    }

    private static int restore(ImageOptions options, PrintStream err) {
        long started = System.nanoTime();
        // Spark and Hadoop classes cost a second to load; a restore from a local file needs neither.
        java.util.function.Supplier<Configuration> hadoop = () -> {
            try {
                return SparkSessions.hadoopConf(SparkSessions.sparkConf(options.getMaster(), false, options.getConf()),
                        options.getConf());
            } catch (IOException e) {
                throw new UserError("cannot read configuration: " + e.getMessage());
            }
        };
        int threads = options.getThreads() > 0 ? options.getThreads()
                : Math.min(ImageOptions.MAX_THREADS, Runtime.getRuntime().availableProcessors());
        try {
            RestoreSummary summary = new Restorer(threads, err,
                    options.getProgress().enabled(Terminal.isStderrTerminal())).restore(options.getSource(),
                    options.isMultiDevice() ? options.getAllTargets() : List.of(options.getTarget()),
                    options.isMultiDevice(), options.isOldRestore(), hadoop, System.in);
            RestoreSummary total = new RestoreSummary(summary.items(), summary.bytes(), summary.targetSize(),
                    (System.nanoTime() - started) / 1_000_000);
            err.println(total.line(options.getSource(), String.join(", ", options.isMultiDevice() ? options.getAllTargets() : List.of(options.getTarget()))));
            return 0;
        } catch (RestoreException e) {
            throw new UserError(e.getMessage());
        }
    }

    private static int dump(ImageOptions options, PrintStream err) {
        long started = System.nanoTime();
        String source = options.getSource();
        String target = options.getTarget();
        SparkConf sparkConf;
        try {
            boolean masterGiven = !ImageOptions.DEFAULT_MASTER.equals(options.getMaster());
            // -t N keeps its meaning of "N workers" when we run embedded.
            String master = !masterGiven && options.getThreads() > 0 ? "local[" + options.getThreads() + "]"
                    : options.getMaster();
            sparkConf = SparkSessions.sparkConf(master, masterGiven, options.getConf());
        } catch (IOException e) {
            throw new UserError("cannot read Spark configuration: " + e.getMessage());
        }
        Configuration hadoop = SparkSessions.hadoopConf(sparkConf, options.getConf());
        Timings timings = new Timings(started);
        timings.mark("configuration");
        warnIfMounted(source, err);
        List<String> devices = new ArrayList<>();
        devices.add(source);
        devices.addAll(options.getDevices());
        if (!isLocalMaster(sparkConf.get("spark.master"))) {
            // Executors in other JVMs run in their own working directories: give them absolute paths.
            devices.replaceAll(d -> BlockSources.isUri(d) ? d : Path.of(d).toAbsolutePath().toString());
        }
        Volume volume;
        ItemPlan plan;
        try {
            List<String> repairs = options.isBestEffort() ? new ArrayList<>() : null;
            volume = Volume.open(devices, hadoop, repairs);
            if (repairs != null) {
                for (String r : repairs) {
                    err.println("WARNING: " + r);
                }
            }
        } catch (BtrfsFormatException e) {
            throw new UserError(e.getMessage());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserError("cannot open " + e.getFile() + ": no such file or device");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new UserError("cannot open " + e.getFile() + ": permission denied");
        } catch (IOException e) {
            throw new UserError("cannot read " + source + ": " + withoutHadoopWikiLink(describe(e)));
        }
        timings.mark("open");
        // Started when first needed: by planning if the extent tree is big enough to scan on executors.
        JavaSparkContext[] sc = {null};
        java.util.function.Supplier<JavaSparkContext> spark = () -> {
            if (sc[0] == null) {
                sc[0] = SparkSessions.start(sparkConf);
            }
            return sc[0];
        };
        List<BlockProblem> planProblems = new ArrayList<>();
        try (Volume v = volume; ImageOutput output = prepare(target, hadoop, sparkConf.get(STAGING_CONF, ""))) {
            io.sparkbtrfs.dump.ExtentScan.Scanner scanner = io.sparkbtrfs.spark.ExtentScanJob.scanner(spark, v, hadoop,
                    sparkConf);
            try {
                plan = options.isBestEffort()
                        ? Planner.planBestEffort(v, options.isWalkTrees(), planProblems, scanner)
                        : Planner.plan(v, options.isWalkTrees(), scanner);
            } catch (BtrfsFormatException | BlockReadException e) {
                throw new UserError(source + ": " + e.getMessage());
            }
            timings.mark("plan");
            Superblock sb = v.superblock();
            boolean sanitize = options.getSanitize() != ImageOptions.SanitizeMode.NONE;
            boolean collisions = options.getSanitize() == ImageOptions.SanitizeMode.COLLISIONS;
            long secret = options.getSeed().orElseGet(() -> new SecureRandom().nextLong());
            // -ss reads the internal nodes of the named trees on the driver (NameSanitizer.forDump): meanwhile Spark starts
            java.util.concurrent.CompletableFuture<LeafItemTransform> transform = sanitize
                    ? java.util.concurrent.CompletableFuture.supplyAsync(() -> NameSanitizer.forDump(collisions, secret,
                            v::readTreeBlock, sb.nodesize(), sb.root(), sb.rootLevel(), sb.logRoot(), sb.logRootLevel()))
                    : java.util.concurrent.CompletableFuture.completedFuture(LeafItemTransform.NONE);
            spark.get();
            timings.mark("spark start");
            DumpSettings settings = new DumpSettings(options.getCompressLevel(), transform.join(), sanitize,
                    options.isBestEffort(), options.getZstdLevel());
            timings.mark("sanitizing keys");
            ProgressMeter meter = options.getProgress().enabled(Terminal.isStderrTerminal())
                    ? new ProgressMeter(err, plan.metadataBlocks(sb.nodesize()), plan.contentBytes(0, plan.clusters()))
                    : null;
            DumpSummary summary;
            try {
                summary = DumpJob.run(sc[0], hadoop, v.descriptor(), plan, settings, options.getPartitions(), output,
                        meter);
            } finally {
                if (meter != null) {
                    meter.finish();
                }
            }
            timings.mark("write and merge");
            timings.print(err);
            long millis = (System.nanoTime() - started) / 1_000_000;
            DumpSummary total = summary.withMillis(millis);
            report(options, planProblems, summary.problems(), err);
            if (sanitize) {
                err.println(summary.sanitizeLine(collisions));
            }
            err.println(total.line(source, ImageOutput.STDOUT.equals(target) ? "stdout" : target));
            return 0;
        } catch (IOException e) {
            throw new UserError(describe(e));
        } catch (Exception e) {
            // Spark rethrows task failures as SparkException (checked, but thrown from Scala undeclared).
            Throwable cause = userCause(e);
            if (cause instanceof UserError) {
                throw (UserError) cause;
            }
            if (cause != null) {
                throw new UserError(source + ": " + cause.getMessage());
            }
            throw new UserError("dump failed: " + rootMessage(e));
        } finally {
            if (sc[0] != null) {
                sc[0].stop();
            }
        }
    }

    /** Lists (stderr, and JSON with --report) every block a best-effort dump could not read or validate. */
    private static void report(ImageOptions options, List<BlockProblem> planned, List<BlockProblem> written,
            PrintStream err) {
        java.util.TreeMap<Long, BlockProblem> byBlock = new java.util.TreeMap<>(Long::compareUnsigned);
        for (BlockProblem p : planned) {
            byBlock.putIfAbsent(p.logical(), p);
        }
        for (BlockProblem p : written) {
            byBlock.putIfAbsent(p.logical(), p);
        }
        if (!byBlock.isEmpty()) {
            err.println("WARNING: " + byBlock.size() + " tree block(s) could not be read or validated:");
            for (BlockProblem p : byBlock.values()) {
                err.println("WARNING:   " + p.line());
            }
        }
        if (options.getReport() != null) {
            StringBuilder json = new StringBuilder("{\"source\":").append(jsonString(options.getSource()))
                    .append(",\"image\":").append(jsonString(options.getTarget())).append(",\"problems\":[");
            boolean first = true;
            for (BlockProblem p : byBlock.values()) {
                json.append(first ? "" : ",").append(p.json());
                first = false;
            }
            json.append("]}\n");
            try {
                Files.writeString(Path.of(options.getReport()), json);
            } catch (IOException e) {
                throw new UserError("cannot write report " + options.getReport() + ": " + e.getMessage());
            }
        }
    }

    private static String jsonString(String s) {
        return BlockProblem.quote(s);
    }

    /** Hadoop's network errors end in "; For more details see: http://wiki...": not useful in one line. */
    private static String withoutHadoopWikiLink(String m) {
        int more = m.indexOf("; For more details see:");
        return more >= 0 ? m.substring(0, more) : m;
    }

    /** {@code local} or {@code local[...]}: executors share the driver's JVM and working directory. */
    private static boolean isLocalMaster(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    private static ImageOutput prepare(String target, Configuration conf, String staging) throws IOException {
        try {
            return ImageOutput.prepare(target, conf, staging);
        } catch (IOException e) {
            // Hadoop's messages (connection refused, unknown host, ...) do not say which target they are about.
            String m = withoutHadoopWikiLink(describe(e));
            if (m.contains(target)) {
                throw e;
            }
            throw new IOException("unable to create target file " + target + ": " + m, e);
        }
    }

    /** The task failure that carries a message for the user, if the job died of one. */
    private static Throwable userCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof io.sparkbtrfs.spark.DumpTaskException || t instanceof UserError) {
                return t;
            }
        }
        return null;
    }

    /** The innermost message, for failures that are not ours (Spark, Hadoop): one line, no trace. */
    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl) : m;
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static void warnIfMounted(String source, PrintStream err) {
        if (BlockSources.isUri(source)) {
            return;
        }
        try {
            Path real = Path.of(source).toRealPath();
            Path mounts = Path.of("/proc/self/mounts");
            if (!Files.isReadable(mounts)) {
                return;
            }
            for (String line : Files.readAllLines(mounts)) {
                String dev = line.split(" ", 2)[0];
                if (dev.startsWith("/") && Path.of(dev).equals(real)) {
                    err.println("WARNING: " + source + " already mounted, results may be inaccurate");
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            err.println("WARNING: unable to check mount status of: " + source);
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
