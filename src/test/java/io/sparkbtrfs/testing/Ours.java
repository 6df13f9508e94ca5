package io.sparkbtrfs.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.sparkbtrfs.cli.Main;

/** Runs our btrfs-image in this JVM (in-process Spark, fast) or as a child JVM (exit status, real stderr). */
public final class Ours {
    private Ours() {
    }

    /** Exit status, and what went to stdout and to stderr. */
    public record Run(int status, String stdout, String stderr) {
        public Run requireOk() {
            if (status != 0) {
                throw new AssertionError("our btrfs-image failed (" + status + "): " + stderr);
            }
            return this;
        }
    }

    /** {@code btrfs-image OPTS src out} in this JVM, with --no-progress. */
    public static Run dump(Path src, Path out, String... opts) {
        return dump(src.toString(), out.toString(), opts);
    }

    /** As {@link #dump(Path, Path, String...)} with source and target as the user would type them (paths or URIs). */
    public static Run dump(String src, String out, String... opts) {
        Tier.requireIntegration("our btrfs-image in this JVM");
        List<String> args = new ArrayList<>(List.of("--no-progress"));
        args.addAll(List.of(opts));
        args.add(src);
        args.add(out);
        return inJvm(args.toArray(new String[0]));
    }

    /** {@code btrfs-image ARGS} (any command: dump, -r, compact, info...) in this JVM, its output captured. */
    public static Run inJvm(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        int status;
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
                PrintStream o = new PrintStream(stdout, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, o, e);
        }
        return new Run(status, stdout.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The classpath of this test JVM, for child JVMs and for executors of a local cluster. */
    public static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isEmpty() ? cp : System.getProperty("java.class.path");
    }

    /** {@code btrfs-image ARGS} in a child JVM, as a user would run it. */
    public static Proc.Result process(String... args) {
        return process(Proc.DEFAULT_TIMEOUT, args);
    }

    /** As {@link #process(String...)}, killed after {@code timeout}. */
    public static Proc.Result process(Duration timeout, String... args) {
        List<String> cmd = command();
        cmd.addAll(List.of(args));
        return Proc.run(cmd, timeout);
    }

    /**
     * The command line that starts our btrfs-image in a child JVM (append the tool's arguments), with the JVM
     * options of scripts/btrfs-image (see {@link ChildJvm}); a new, mutable list.
     */
    public static List<String> command() {
        Tier.requireIntegration("a child JVM");
        return ChildJvm.command();
    }
}
