package io.sparkbtrfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;

/**
 * Acceptance 5 (the parts without S3): a target we cannot write, because its namenode is unreachable, its
 * directory is read-only or not writable even for root: exit 1 with one {@code ERROR:} line naming the target,
 * no stack trace, within a bounded time. Runs our tool as a child JVM, as a user runs it.
 */
class BadTargetConfigurationTest {
    /** Generous for a loaded machine; the failures themselves take a few seconds (JVM start included). */
    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    static Path shared;
    static Path fs;

    @BeforeAll
    static void makeFs() {
        fs = Mkfs.image(shared.resolve("fs.img")).size(128L << 20).run();
    }

    @Test
    void unreachableNamenode() {
        String target = "hdfs://127.0.0.1:1/dumps/fs.metadump";
        String line = assertOneErrorLine(run(target, "--conf", "ipc.client.connect.max.retries=0",
                "--conf", "ipc.client.connect.timeout=1000"));
        assertTrue(line.contains(target), line);
        assertTrue(line.toLowerCase(java.util.Locale.ROOT).contains("connection refused"), line);
    }

    @Test
    void unreachableNamenodeAsSource(@TempDir Path dir) throws IOException {
        String source = "hdfs://127.0.0.1:1/images/fs.img";
        Path target = dir.resolve("out.img");
        List<String> args = List.of("--no-progress", "--conf", "ipc.client.connect.max.retries=0",
                "--conf", "ipc.client.connect.timeout=1000", source, target.toString());
        String line = assertOneErrorLine(timed(args));
        assertTrue(line.contains(source), line);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "left in " + dir);
        }
    }

    @Test
    void directoryNotWritableEvenForRoot() {
        // sysfs refuses new files to everyone, root included (chmod does not stop root).
        String target = "/sys/fs.metadump";
        String line = assertOneErrorLine(run(target));
        assertTrue(line.contains("unable to create target file " + target), line);
        assertTrue(line.contains("Permission denied") || line.contains("Read-only"), line);
    }

    @Test
    void readOnlyBindMount(@TempDir Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("rw"));
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Proc.Result bind = Proc.run(Duration.ofSeconds(30), "mount", "--bind", src.toString(), ro.toString());
        org.junit.jupiter.api.Assumptions.assumeTrue(bind.ok(), () -> "cannot bind-mount: " + bind.describe());
        try {
            Proc.Result remount = Proc.run(Duration.ofSeconds(30), "mount", "-o", "remount,bind,ro", ro.toString());
            org.junit.jupiter.api.Assumptions.assumeTrue(remount.ok(), () -> "cannot remount ro: " + remount.describe());
            String target = ro.resolve("fs.metadump").toString();
            String line = assertOneErrorLine(run(target));
            assertTrue(line.contains("unable to create target file " + target), line);
            assertTrue(line.contains("Read-only file system"), line);
        } finally {
            Proc.run(Duration.ofSeconds(30), "umount", ro.toString());
        }
        try (Stream<Path> left = Files.list(src)) {
            assertEquals(0, left.count(), "left in " + src);
        }
    }

    private static Proc.Result run(String target, String... opts) {
        List<String> args = new ArrayList<>(List.of("--no-progress"));
        args.addAll(List.of(opts));
        args.add(fs.toString());
        args.add(target);
        return timed(args);
    }

    private static Proc.Result timed(List<String> args) {
        Proc.Result r = Ours.process(BOUND.plusSeconds(30), args.toArray(String[]::new));
        System.out.println(String.join(" ", args) + " -> " + r.elapsed().toMillis() + " ms: " + r.stderr().strip());
        assertFalse(r.timedOut(), r.describe());
        assertTrue(r.elapsed().compareTo(BOUND) < 0, "took " + r.elapsed() + ": " + r.describe());
        return r;
    }

    /** Exit 1, no stack trace, exactly one line on stderr and it starts with "ERROR: ". */
    private static String assertOneErrorLine(Proc.Result r) {
        assertEquals(1, r.exitCode(), r.describe());
        assertFalse(r.stderr().contains("\tat "), r.describe());
        List<String> lines = r.stderr().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "expected one error line:\n" + r.describe());
        assertTrue(lines.get(0).startsWith("ERROR: "), r.describe());
        assertEquals("", r.stdout(), r.describe());
        return lines.get(0);
    }
}
