package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.FaultPlugin;
import io.sparkbtrfs.testing.LocalCluster;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Acceptance 3 and the executor part of 4: a Spark standalone cluster with 2 workers (executors in their own
 * JVMs) started by {@code scripts/local-cluster}. The dump equals the local-mode image and the reference's, also
 * when an executor JVM is killed while the job runs. The cluster is always stopped afterwards.
 */
class StandaloneClusterTest {
    @TempDir
    static Path shared;
    static Path fs;
    static byte[] reference;
    static LocalCluster cluster;
    private static Thread safetyNet;

    @BeforeAll
    static void setUp() throws IOException {
        RefTool.assumeAvailable();
        fs = FaultFixtures.filesystem(shared);
        reference = FaultFixtures.reference(fs, shared);
        Path local = shared.resolve("local.img");
        Ours.dump(fs, local, FaultFixtures.opts("--partitions", "4")).requireOk();
        assertArrayEquals(reference, Files.readAllBytes(local), "local mode differs from the reference");
        Path state = Path.of("target", "local-cluster-test").toAbsolutePath();
        // Also stopped if the test JVM is told to exit before @AfterAll (surefire timeout, Ctrl-C).
        safetyNet = new Thread(() -> LocalCluster.script(state, java.time.Duration.ofMinutes(1), "stop"));
        Runtime.getRuntime().addShutdownHook(safetyNet);
        cluster = LocalCluster.start(state, 2);
        System.out.println("local-cluster up in " + cluster.startTime().toMillis() + " ms: " + cluster.masterUrl());
    }

    @AfterAll
    static void tearDown() {
        if (cluster != null) {
            List<Long> pids = cluster.daemonPids();
            cluster.close();
            // The script returns once the processes are gone from /proc/PID/cmdline; give init time to reap them.
            long deadline = System.currentTimeMillis() + 15_000;
            List<Long> alive = pids;
            while (!alive.isEmpty() && System.currentTimeMillis() < deadline) {
                alive = alive.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                        .toList();
                if (!alive.isEmpty()) {
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            assertTrue(alive.isEmpty(), "still running after stop: " + alive);
        }
        if (safetyNet != null) {
            Runtime.getRuntime().removeShutdownHook(safetyNet);
        }
    }

    /** Options for a dump on the cluster: executors get our classes, the driver is reachable on loopback. */
    private static String[] clusterOpts(String... more) {
        List<String> o = new ArrayList<>(List.of("--master", cluster.masterUrl(), "--partitions", "4",
                "--conf", "spark.executor.extraClassPath=" + Ours.classpath(),
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.executor.memory=512m", "--conf", "spark.executor.cores=1",
                "--conf", "spark.cores.max=2"));
        o.addAll(List.of(more));
        return FaultFixtures.opts(o.toArray(String[]::new));
    }

    @Test
    void scriptReportsTheRunningCluster() {
        Proc.Result r = cluster.status();
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(cluster.masterUrl(), r.stdout().strip());
        assertEquals(3, cluster.daemonPids().size(), "master and 2 workers recorded");
    }

    @Test
    void standaloneDumpEqualsTheLocalImage(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("cluster.img");
        long t0 = System.nanoTime();
        Ours.dump(fs, out, clusterOpts()).requireOk();
        System.out.println("standalone dump: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertArrayEquals(reference, Files.readAllBytes(out));
        FaultFixtures.assertOnly(dir, "cluster.img");
    }

    @Test
    void childJvmOnTheClusterPrintsOnlyTheSummary(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("child.img");
        List<String> args = new ArrayList<>(List.of("--no-progress"));
        args.addAll(List.of(clusterOpts()));
        args.add(fs.toString());
        args.add(out.toString());
        Proc.Result r = Ours.process(java.time.Duration.ofMinutes(3), args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.describe());
        // Spark's shutdown must not print anything (e.g. RejectedExecutionException traces from a broadcast
        // removal still in flight when the context stops).
        assertEquals(1, r.stderr().strip().lines().count(), r.describe());
        assertTrue(r.stderr().startsWith("dumped "), r.describe());
        assertArrayEquals(reference, Files.readAllBytes(out));
        FaultFixtures.assertOnly(dir, "child.img");
    }

    @Test
    void killedExecutorJvmIsSurvived(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("killed.img");
        long t0 = System.nanoTime();
        CompletableFuture<Ours.Run> run = CompletableFuture.supplyAsync(() -> Ours.dump(fs, out,
                clusterOpts(FaultInjectionTest.with(FaultPlugin.delay(3000), "--conf", "spark.task.maxFailures=8"))));
        // Mid-job: the first part is committed and later tasks are still sleeping in their delay.
        FaultFixtures.awaitFirstPart(dir, "killed.img", run::isDone, 120_000);
        List<ProcessHandle> executors = cluster.executors();
        assertFalse(executors.isEmpty(), "no executor JVMs found under the workers");
        ProcessHandle victim = executors.get(0);
        assertTrue(victim.destroyForcibly(), "cannot kill executor " + victim.pid());
        victim.onExit().get(30, TimeUnit.SECONDS);
        assertFalse(run.isDone(), "the job ended before the executor was killed");
        System.out.println("killed executor pid " + victim.pid() + " of " + executors.size() + " after "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        Ours.Run r = run.get(5, TimeUnit.MINUTES);
        System.out.println("dump with a killed executor: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        r.requireOk();
        assertArrayEquals(reference, Files.readAllBytes(out));
        FaultFixtures.assertOnly(dir, "killed.img");
        Optional<ProcessHandle> stillThere = ProcessHandle.of(victim.pid());
        assertFalse(stillThere.map(ProcessHandle::isAlive).orElse(false));
    }
}
