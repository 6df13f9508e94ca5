package io.sparkbtrfs.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command with a hard timeout. Standard input is {@code /dev/null}; stdout and stderr are
 * drained concurrently into memory (decoded as UTF-8). On timeout the process and all its descendants are
 * killed (SIGKILL) and {@link Result#timedOut()} is set.
 */
public final class Proc {

    /** Default timeout used by the convenience overloads. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private Proc() {}

    /** Immutable outcome of one command. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr,
                         Duration elapsed, boolean timedOut) {
        public Result {
            command = List.copyOf(command);
        }

        /** Exit code 0 and not timed out. */
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** stdout followed by stderr (the two streams are captured separately, so not interleaved). */
        public String output() {
            if (stderr.isEmpty()) return stdout;
            if (stdout.isEmpty()) return stderr;
            return stdout + (stdout.endsWith("\n") ? "" : "\n") + stderr;
        }

        /** Returns this result if {@link #ok()}, else throws {@link ProcException} carrying the full output. */
        public Result requireOk() {
            if (!ok()) throw new ProcException(this);
            return this;
        }

        /** Short human readable description for assertion messages. */
        public String describe() {
            return String.join(" ", command) + " -> " + (timedOut ? "TIMED OUT after " + elapsed : "exit " + exitCode)
                    + " in " + elapsed.toMillis() + " ms" + "\n--- stdout ---\n" + abbreviate(stdout)
                    + "\n--- stderr ---\n" + abbreviate(stderr);
        }

        private static String abbreviate(String s) {
            final int max = 8000;
            return s.length() <= max ? s : s.substring(0, max / 2) + "\n[... " + (s.length() - max) + " chars ...]\n"
                    + s.substring(s.length() - max / 2);
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /** Thrown by {@link Result#requireOk()}. */
    public static final class ProcException extends RuntimeException {
        private final Result result;

        public ProcException(Result result) {
            super("command failed: " + result.describe());
            this.result = result;
        }

        public Result result() {
            return result;
        }
    }

    public static Result run(List<String> cmd, Duration timeout) {
        return run(cmd, timeout, null);
    }

    public static Result run(Duration timeout, String... cmd) {
        return run(List.of(cmd), timeout, null);
    }

    /** Runs with {@link #DEFAULT_TIMEOUT}. */
    public static Result run(String... cmd) {
        return run(List.of(cmd), DEFAULT_TIMEOUT, null);
    }

    /** Runs and throws {@link ProcException} unless the command exits 0 within {@link #DEFAULT_TIMEOUT}. */
    public static Result runOk(String... cmd) {
        return run(List.of(cmd), DEFAULT_TIMEOUT, null).requireOk();
    }

    /**
     * Runs {@code cmd} in {@code workDir} (null = inherit) and waits at most {@code timeout}.
     * Failure to start the process (e.g. binary not found) yields exit code 127 with the reason in stderr.
     */
    public static Result run(List<String> cmd, Duration timeout, Path workDir) {
        Tier.requireIntegration(String.join(" ", cmd));
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (workDir != null) pb.directory(workDir.toFile());
        // Stable, parseable output from the tools regardless of the caller's locale.
        pb.environment().put("LC_MESSAGES", "C");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(cmd, 127, "", "cannot start " + cmd.get(0) + ": " + e.getMessage(),
                    Duration.ofNanos(System.nanoTime() - t0), false);
        }
        Drainer out = new Drainer(p.getInputStream(), "stdout-" + cmd.get(0));
        Drainer err = new Drainer(p.getErrorStream(), "stderr-" + cmd.get(0));
        boolean timedOut = false;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            out.join(10_000);
            err.join(10_000);
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + cmd, e);
        }
        int code = p.isAlive() ? -1 : p.exitValue();
        return new Result(cmd, code, out.text(), err.text(), Duration.ofNanos(System.nanoTime() - t0), timedOut);
    }

    /** True if {@code exe} is an executable file in one of the PATH directories (or an absolute executable path). */
    public static boolean onPath(String exe) {
        if (exe.contains("/")) return Files.isExecutable(Path.of(exe));
        String path = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, exe))) return true;
        }
        return false;
    }

    private static final class Drainer extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private volatile IOException failure;

        Drainer(InputStream in, String name) {
            super(name);
            this.in = in;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] b = new byte[65536];
            try (in) {
                int n;
                while ((n = in.read(b)) >= 0) {
                    synchronized (buf) {
                        buf.write(b, 0, n);
                    }
                }
            } catch (IOException e) {
                failure = e;
            }
        }

        String text() {
            synchronized (buf) {
                String s = buf.toString(StandardCharsets.UTF_8);
                if (failure != null && !isAlive()) s += "\n[stream read failed: " + failure + "]";
                return s;
            }
        }
    }
}
