package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.FaultPlugin;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;

/**
 * Acceptance 4 in local mode: a task whose first attempt fails is retried and the image is byte-identical; when
 * retries are not allowed the dump fails cleanly; a driver killed mid-job leaves no target, and the next run
 * removes its staging debris and succeeds. (Killing an executor JVM is in {@link StandaloneClusterTest}.)
 */
class FaultInjectionTest {
    @TempDir
    static Path shared;
    static Path fs;
    static byte[] reference;

    @BeforeAll
    static void setUp() throws IOException {
        RefTool.assumeAvailable();
        fs = FaultFixtures.filesystem(shared);
        reference = FaultFixtures.reference(fs, shared);
    }

    @Test
    void failedFirstAttemptIsRetriedAndTheImageIsIdentical(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("retried.img");
        // local[2,4]: 2 threads, up to 4 attempts per task (plain local[N] never retries).
        Ours.Run r = Ours.dump(fs, out, FaultFixtures.opts(with(FaultPlugin.failFirstAttempt(1), "--master", "local[2,4]",
                "--partitions", "4")));
        r.requireOk();
        assertArrayEquals(reference, Files.readAllBytes(out));
        FaultFixtures.assertOnly(dir, "retried.img");
    }

    @Test
    void uncompressedClustersWrittenInPlaceSurviveARetriedTask(@TempDir Path dir) throws IOException {
        // -c 0 to a local file: tasks write into the image at plan-known offsets; a failed attempt has
        // already written some clusters, and its retry writes the same bytes again.
        Path ref = dir.resolve("ref0.img");
        RefTool.dump(fs, ref, "-w", "-c", "0").requireOk();
        Path out = dir.resolve("retried0.img");
        Ours.dump(fs, out, with(FaultPlugin.failFirstAttempt(1), "-w", "-c", "0", "--master", "local[2,4]",
                "--partitions", "5")).requireOk();
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
        FaultFixtures.assertOnly(dir, "ref0.img", "retried0.img");
    }

    @Test
    void failedTaskWithoutRetriesFailsCleanly(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("failed.img");
        Ours.Run r = Ours.dump(fs, out, FaultFixtures.opts(with(FaultPlugin.failFirstAttempt(2), "--master", "local[2]",
                "--partitions", "4")));
        assertEquals(1, r.status(), r.stderr());
        assertTrue(r.stderr().startsWith("ERROR: ") && r.stderr().contains("injected failure"), r.stderr());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        FaultFixtures.assertOnly(dir);
    }

    @Test
    void killedDriverLeavesNoTargetAndTheNextRunCleansUp(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("crash.img");
        List<String> cmd = Ours.command();
        cmd.addAll(List.of(FaultFixtures.opts(with(FaultPlugin.delay(2000), "--no-progress", "--master", "local[1]",
                "--partitions", "4"))));
        cmd.add(fs.toString());
        cmd.add(out.toString());
        Path log = Files.createTempFile("driver", ".log");
        Process driver = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            FaultFixtures.awaitFirstPart(dir, "crash.img", () -> !driver.isAlive(), 120_000);
        } finally {
            driver.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
            driver.waitFor(30, TimeUnit.SECONDS);
        }
        String output = Files.readString(log);
        Files.delete(log);
        assertFalse(driver.isAlive());
        assertFalse(Files.exists(out), "a target appeared after the driver was killed: " + output);
        List<Path> debris = FaultFixtures.debris(dir, "crash.img");
        // The lock file stays too, unlocked (the kernel released the lock with the process): the next run takes it.
        assertEquals(3, debris.size(), "expected a staging directory, a temporary image and a lock: " + debris);

        Path other = dir.resolve("other.img.keep");
        Files.writeString(other, "not ours\n");
        long t0 = System.nanoTime();
        Ours.dump(fs, out, FaultFixtures.opts("--partitions", "4")).requireOk();
        System.out.println("rerun after a killed driver: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertArrayEquals(reference, Files.readAllBytes(out));
        FaultFixtures.assertOnly(dir, "crash.img", "other.img.keep");
    }

    /** {@code opts} followed by the fault plugin's options. */
    static String[] with(List<String> faults, String... opts) {
        List<String> all = new java.util.ArrayList<>(List.of(opts));
        all.addAll(faults);
        return all.toArray(String[]::new);
    }
}
