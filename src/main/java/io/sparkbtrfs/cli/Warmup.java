package io.sparkbtrfs.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The training run behind the class-data-sharing archive that scripts/btrfs-image builds once per jar:
 * runs the tool's main paths (dumps in every mode, restore, info, verify) on a small filesystem made with
 * mkfs.btrfs, so that their classes (Spark's, Hadoop's, ours) are archived and later runs skip loading
 * and verifying them (about a second of every start). Without mkfs.btrfs, at least a Spark context runs.
 * Prints nothing; always exits 0: a missing archive only costs speed.
 */
public final class Warmup {
    private Warmup() {
    }

    /** {@code local}: only the in-process paths (no Spark); anything else: those, then one Spark dump. */
    public static void main(String[] args) {
        boolean spark = !(args.length > 0 && args[0].equals("local"));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Path dir = null;
        try {
            dir = Files.createTempDirectory("btrfs-image-warmup");
            Path fs = dir.resolve("fs.img");
            if (mkfs(fs)) {
                String f = fs.toString();
                String img = dir.resolve("a.img").toString();
                // In-process first (what small dumps run), then one dump on Spark for its classes.
                Main.run(new String[] {"--no-progress", "-ss", "-c", "1", f, img}, quiet, quiet);
                Main.run(new String[] {"info", "--json", img}, quiet, quiet);
                Main.run(new String[] {"verify", img}, quiet, quiet);
                Main.run(new String[] {"--no-progress", "-r", img, dir.resolve("r.img").toString()}, quiet, quiet);
                Main.run(new String[] {"--no-progress", "--compress", "zstd", f, dir.resolve("z.img").toString()},
                        quiet, quiet);
                Main.run(new String[] {"--no-progress", f, dir.resolve("b.img").toString()}, quiet, quiet);
                Main.run(new String[] {"--no-progress", "-w", "-c", "9", f, dir.resolve("w.img").toString()}, quiet,
                        quiet);
                Main.run(new String[] {"--no-progress", "-r", dir.resolve("b.img").toString(),
                    dir.resolve("r0.img").toString()}, quiet, quiet);
                if (spark) {
                    Main.run(new String[] {"--no-progress", "--runner", "spark", "-c", "1", f,
                        dir.resolve("s.img").toString()}, quiet, quiet);
                    objectStoreDumps(fs, dir, quiet);
                }
            } else if (spark) {
                var sc = io.sparkbtrfs.spark.SparkSessions.start(io.sparkbtrfs.spark.SparkSessions.sparkConf(
                        "local[2]", true, java.util.Map.of()));
                try {
                    sc.parallelize(List.of(1, 2, 3, 4), 2).map(x -> x + 1).collect();
                } finally {
                    sc.stop();
                }
            }
        } catch (IOException | RuntimeException e) {
            // no archive content beyond what ran: fine
        } finally {
            if (dir != null) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // a temporary directory
                }
            }
        }
        System.exit(0);
    }

    /**
     * Default and -w dumps of {@code fs} from s3a:// (served by {@link WarmupObjectServer} on 127.0.0.1): archives
     * S3A's and the AWS SDK's classes, several thousand, whose loading cost 1.5-2 s of a dump's start from
     * object storage in the driver and again in each executor of a local cluster (bench, issue 16).
     */
    private static void objectStoreDumps(Path fs, Path dir, PrintStream quiet) {
        try (WarmupObjectServer store = WarmupObjectServer.serve(fs)) {
            List<String> conf = List.of("fs.s3a.endpoint=" + store.endpoint(), "fs.s3a.endpoint.region=us-east-1",
                    "fs.s3a.path.style.access=true", "fs.s3a.connection.ssl.enabled=false",
                    "fs.s3a.aws.credentials.provider=org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                    "fs.s3a.access.key=warmup", "fs.s3a.secret.key=warmup", "fs.s3a.attempts.maximum=1",
                    "fs.s3a.retry.limit=1");
            for (String mode : List.of("-c", "-w")) {
                List<String> args = new java.util.ArrayList<>(List.of("--no-progress", "-c", "1"));
                if (mode.equals("-w")) {
                    args.add("-w");
                }
                for (String c : conf) {
                    args.add("--conf");
                    args.add(c);
                }
                args.add(store.uri());
                args.add(dir.resolve("o" + mode + ".img").toString());
                Main.run(args.toArray(String[]::new), quiet, quiet);
            }
        } catch (IOException | RuntimeException e) {
            // training only: what loaded so far is archived
        }
    }

    private static boolean mkfs(Path image) {
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin")) {
            Path mkfs = Path.of(d, "mkfs.btrfs");
            if (!Files.isExecutable(mkfs)) {
                continue;
            }
            try {
                try (var raf = new java.io.RandomAccessFile(image.toFile(), "rw")) {
                    raf.setLength(256L << 20);
                }
                Process p = new ProcessBuilder(mkfs.toString(), "-q", "-f", image.toString())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
