package io.sparkbtrfs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 started with {@code scripts/local-cluster}, as a user starts it, with its
 * own state directory (so a developer's cluster in {@code target/local-cluster} is left alone) and the jars of this
 * test JVM's classpath (so no {@code mvn package} is needed before the tests).
 */
public final class LocalCluster implements AutoCloseable {
    private static final Path SCRIPT = Path.of("scripts", "local-cluster").toAbsolutePath();

    private final Path state;
    private final String masterUrl;
    private final Duration startTime;

    private LocalCluster(Path state, String masterUrl, Duration startTime) {
        this.state = state;
        this.masterUrl = masterUrl;
        this.startTime = startTime;
    }

    /** Starts {@code workers} workers (1 core, 1 GiB each); stops whatever was recorded in {@code state} first. */
    public static LocalCluster start(Path state, int workers) {
        Path jars = state.resolve("jars");
        try {
            Files.createDirectories(jars);
            for (String entry : Ours.classpath().split(java.io.File.pathSeparator)) {
                Path jar = Path.of(entry);
                if (entry.endsWith(".jar") && Files.isRegularFile(jar)) {
                    Path link = jars.resolve(jar.getFileName());
                    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, jar.toAbsolutePath());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        script(state, Duration.ofMinutes(1), "stop");
        Proc.Result r = script(state, Duration.ofMinutes(3), "start", Integer.toString(workers));
        if (!r.ok()) {
            script(state, Duration.ofMinutes(1), "stop");
            throw new AssertionError("scripts/local-cluster start failed: " + r.describe());
        }
        String url = r.stdout().strip();
        if (!url.matches("spark://127\\.0\\.0\\.1:\\d+")) {
            throw new AssertionError("no master URL on stdout: " + r.describe());
        }
        return new LocalCluster(state, url, r.elapsed());
    }

    /** Runs {@code scripts/local-cluster ARGS} with this test's state directory and jars. */
    public static Proc.Result script(Path state, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "LOCAL_CLUSTER_DIR=" + state.toAbsolutePath(),
                "LOCAL_CLUSTER_LIB=" + state.resolve("jars").toAbsolutePath(), SCRIPT.toString()));
        cmd.addAll(List.of(args));
        return Proc.run(cmd, timeout);
    }

    public String masterUrl() {
        return masterUrl;
    }

    public Duration startTime() {
        return startTime;
    }

    public Proc.Result status() {
        return script(state, Duration.ofMinutes(1), "status");
    }

    /** The recorded PIDs (master and workers); none when stopped. */
    public List<Long> daemonPids() {
        if (!Files.isDirectory(state.resolve("pids"))) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(state.resolve("pids"))) {
            return files.map(f -> {
                try {
                    return Long.parseLong(Files.readString(f).strip());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Executor JVMs: children of our workers running CoarseGrainedExecutorBackend. */
    public List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (long pid : daemonPids()) {
            ProcessHandle.of(pid).ifPresent(w -> w.children()
                    .filter(c -> cmdline(c.pid()).contains("CoarseGrainedExecutorBackend"))
                    .forEach(out::add));
        }
        return out;
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops exactly the recorded processes. */
    @Override
    public void close() {
        script(state, Duration.ofMinutes(1), "stop");
    }
}
