package io.sparkbtrfs.chain;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.dump.DumpSummary;
import io.sparkbtrfs.format.Uuid;
import io.sparkbtrfs.image.DeltaHeader;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageHead;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.restore.RestoreException;
import io.sparkbtrfs.restore.RestoreSummary;
import io.sparkbtrfs.restore.Restorer;
import io.sparkbtrfs.store.ImageFiles;

/**
 * The chain subcommands: {@code compact BASE DELTA... TARGET}, {@code restore-chain BASE DELTA... TARGET},
 * {@code verify BASE DELTA...} (two images or more) and {@code info DELTA}. Parses, runs, prints; every failure is
 * one {@code ERROR:} line and exit status 1. Links (and compact's target) are local paths or Hadoop URIs, whose
 * file systems {@code --conf KEY=VALUE} configures as it does for a dump.
 */
public final class ChainCommand {
    private ChainCommand() {
    }

    /**
     * Whether {@code args} ask for a chain subcommand (info and verify of a single full image are not); a single
     * URI operand is opened with {@code hadoop}'s configuration to tell.
     */
    public static boolean handles(String[] args, Function<Map<String, String>, Configuration> hadoop) {
        if (args.length == 0) {
            return false;
        }
        return switch (args[0]) {
            case "compact", "restore-chain" -> true;
            case "verify" -> !java.util.Arrays.asList(args).contains("--against") && (operands(args).size() >= 2
                    || operands(args).size() == 1 && isDelta(operands(args).get(0), files(args, hadoop)));
            case "info" -> operands(args).size() == 1 && isDelta(operands(args).get(0), files(args, hadoop));
            default -> false;
        };
    }

    /** The links' reader, configured by the {@code --conf} options of {@code args} (a bad one: local files only). */
    private static ImageFiles files(String[] args, Function<Map<String, String>, Configuration> hadoop) {
        return new ImageFiles(() -> hadoop.apply(confs(args)));
    }

    /** The {@code --conf KEY=VALUE} options. */
    private static Map<String, String> confs(String[] args) {
        Map<String, String> confs = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--conf")) {
                String kv = i + 1 < args.length ? args[++i] : "";
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--conf expects KEY=VALUE, got '" + kv + "'");
                }
                confs.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return confs;
    }

    private static List<String> operands(String[] args) {
        List<String> ops = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if ((args[i].equals("-t") || args[i].equals("--conf")) && i + 1 < args.length) {
                i++;
            } else if (!args[i].startsWith("-") || args[i].equals("-")) {
                ops.add(args[i]);
            }
        }
        return ops;
    }

    private static int threads(String[] args) {
        for (int i = 1; i + 1 < args.length; i++) {
            if (args[i].equals("-t")) {
                try {
                    int t = Integer.parseInt(args[i + 1]);
                    if (t >= 1 && t <= 32) {
                        return t;
                    }
                } catch (NumberFormatException e) {
                    // below
                }
                throw new IllegalArgumentException("-t expects a number of threads from 1 to 32");
            }
        }
        return Math.min(32, Runtime.getRuntime().availableProcessors());
    }

    private static boolean isDelta(String name, ImageFiles files) {
        try (InputStream in = files.open(name)) {
            byte[] m = in.readNBytes(8);
            return m.length == 8 && MetadumpFormat.magic(m) == MetadumpFormat.MAGIC_DELTA;
        } catch (IOException | RuntimeException e) { // a URI's store unreachable or misconfigured
            return false;
        }
    }

    /** Whether {@code spec} names an existing file (local or a URI's) that is a delta image. */
    private static boolean isDeltaFile(String spec, ImageFiles files) {
        Path p = io.sparkbtrfs.store.FileIdentity.localPath(spec);
        return (p == null || java.nio.file.Files.isRegularFile(p)) && isDelta(spec, files);
    }

    /**
     * The last operand is the target: a delta there is a link the user meant to list and forgot the target after
     * (neither command ever writes a delta), so it is refused rather than overwritten.
     */
    private static int refuseDeltaTarget(PrintStream err, String target) {
        return fail(err, "refusing to write " + target + ": it is a delta image (a link of a chain?); the last operand"
                + " is the target, which must not be a delta");
    }

    public static int run(String[] args, PrintStream out, PrintStream err,
            Function<Map<String, String>, Configuration> hadoop) {
        try {
            List<String> ops = operands(args);
            for (int i = 1; i < args.length; i++) {
                boolean valued = args[i].equals("-t") || args[i].equals("--conf");
                if (args[i].startsWith("-") && !args[i].equals("-") && !valued
                        && !(i > 1 && (args[i - 1].equals("-t") || args[i - 1].equals("--conf")))) {
                    return fail(err, args[0] + ": unexpected option '" + args[i] + "'");
                }
            }
            int threads = threads(args);
            Map<String, String> confs = confs(args);
            Supplier<Configuration> conf = memoized(() -> hadoop.apply(confs));
            ImageFiles files = new ImageFiles(conf);
            switch (args[0]) {
                case "compact" -> {
                    if (ops.size() < 3) {
                        return fail(err,
                                "usage: btrfs-image compact [-t N] [--conf KEY=VALUE]... BASE DELTA... TARGET");
                    }
                    long started = System.nanoTime();
                    List<String> images = ops.subList(0, ops.size() - 1);
                    String target = ops.get(ops.size() - 1);
                    if (isDeltaFile(target, files)) {
                        return refuseDeltaTarget(err, target);
                    }
                    DumpSummary s = Compactor.compact(images, target, threads, conf);
                    err.println(s.withMillis((System.nanoTime() - started) / 1_000_000).line(
                            String.join(" + ", images), target));
                    return 0;
                }
                case "restore-chain" -> {
                    if (ops.size() < 3) {
                        return fail(err,
                                "usage: btrfs-image restore-chain [-t N] [--conf KEY=VALUE]... BASE DELTA... TARGET");
                    }
                    if (isDeltaFile(ops.get(ops.size() - 1), files)) {
                        return refuseDeltaTarget(err, ops.get(ops.size() - 1));
                    }
                    return restore(ops.subList(0, ops.size() - 1), ops.get(ops.size() - 1), threads, files, err);
                }
                case "verify" -> {
                    if (ops.size() == 1) {
                        return fail(err, ops.get(0) + " is a delta: verify it with its chain (verify BASE DELTA...)");
                    }
                    Chain chain = Chain.open(ops, files);
                    try (ChainContent c = ChainContent.gather(chain, Path.of(System.getProperty("java.io.tmpdir")))) {
                        out.println("chain of " + ops.size() + " links: generation " + Long.toUnsignedString(chain
                                .header().generation()) + ", " + chain.plan().items() + " items, every block present "
                                + "and sound");
                    }
                    return 0;
                }
                default -> {
                    return info(ops.get(0), files, out, err);
                }
            }
        } catch (ChainException | IllegalArgumentException e) {
            return fail(err, e.getMessage());
        } catch (IOException e) {
            return fail(err, e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            return fail(err, e.getCause().getMessage());
        }
    }

    private static <T> Supplier<T> memoized(Supplier<T> s) {
        Object[] made = {null};
        return () -> {
            synchronized (made) {
                if (made[0] == null) {
                    made[0] = s.get();
                }
                @SuppressWarnings("unchecked")
                T t = (T) made[0];
                return t;
            }
        };
    }

    private static int info(String name, ImageFiles files, PrintStream out, PrintStream err) throws IOException {
        ImageHead head;
        try (InputStream in = new java.io.BufferedInputStream(files.open(name), 1 << 16)) {
            head = ImageHead.read(in, name, false);
        } catch (ImageFormatException e) {
            return fail(err, e.getMessage());
        }
        DeltaHeader h = head.header();
        String options = (h.zstdLevel() != 0 ? "--compress zstd:" + h.zstdLevel() : "-c " + h.compressLevel())
                + (h.walk() ? " -w" : "") + (h.sanitize() == DeltaHeader.SANITIZE_NONE ? ""
                        : h.sanitize() == DeltaHeader.SANITIZE_GARBAGE ? " -s" : " -ss");
        StringBuilder s = new StringBuilder();
        line(s, "image", name);
        line(s, "format", "delta (spark-btrfs-image only, not readable by btrfs-image)");
        line(s, "fsid", Uuid.text(h.fsid()));
        line(s, "base generation", Long.toUnsignedString(h.baseGeneration()));
        line(s, "generation", Long.toUnsignedString(h.generation()));
        line(s, "blocks carried", Long.toString(h.carriedUnits()));
        line(s, "blocks referenced", Long.toString(h.referencedUnits()));
        line(s, "full plan", h.planItems() + " items, " + h.planUnits() + " blocks");
        line(s, "full dump options", options);
        out.print(s);
        return 0;
    }

    private static void line(StringBuilder s, String label, String value) {
        s.append(String.format("%-19s %s%n", label + ":", value));
    }

    /**
     * Gathers the chain's content (as {@code compact} does) and restores the uncompressed image of it, made as the
     * restore reads it ({@link ChainImage}): no intermediate image.
     */
    private static int restore(List<String> images, String target, int threads, ImageFiles files, PrintStream err)
            throws ChainException, IOException {
        long started = System.nanoTime();
        Chain chain = Chain.open(images, files);
        try (ChainContent content = ChainContent.gather(chain, Compactor.spillDirectory(target))) {
            RestoreSummary s = new Restorer(threads, err).restore(
                    new ChainImage(content, chain.header().nodesize(), images), target);
            err.println(s.withMillis((System.nanoTime() - started) / 1_000_000).line(String.join(" + ", images),
                    target));
            return 0;
        } catch (RestoreException e) {
            return fail(err, e.getMessage());
        }
    }

    private static int fail(PrintStream err, String message) {
        err.println("ERROR: " + message);
        return 1;
    }
}
