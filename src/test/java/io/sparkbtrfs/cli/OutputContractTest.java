package io.sparkbtrfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.ErrorLines;
import io.sparkbtrfs.testing.FaultPlugin;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Issue 11, the output contract, case by case as a user meets it (the tool runs as a child JVM, through a shell
 * where a case needs redirections, a umask or a signal): the exact command, its exit status, its one
 * {@code ERROR:} line, and what is on disk afterwards (the source intact byte for byte, no debris next to the
 * target, a device or FIFO that received the image in place).
 */
class OutputContractTest {
    private static final Duration LONG = Duration.ofMinutes(3);

    @TempDir
    static Path shared;
    /** A small mkfs.btrfs --rootdir filesystem with ordinary names. */
    static Path fs;
    /** Its reference {@code -c 0} image: what every successful dump of it must be, byte for byte. */
    static byte[] expected;
    static String fsDigest;

    @BeforeAll
    static void makeFs() throws IOException {
        RefTool.assumeAvailable();
        Path root = Files.createDirectories(shared.resolve("root/docs"));
        for (int i = 0; i < 200; i++) {
            Files.writeString(root.resolve("report-" + i + ".txt"), "hello " + i);
        }
        fs = Mkfs.image(shared.resolve("fs.img")).size(128L << 20).rootdir(shared.resolve("root")).run();
        Path ref = shared.resolve("ref.img");
        RefTool.dump(fs, ref).requireOk();
        expected = Files.readAllBytes(ref);
        Files.delete(ref);
        fsDigest = digest(fs);
    }

    // ------------------------------------------------------------------ 1. --report

    @Test
    void reportWithoutBestEffortIsRefused(@TempDir Path dir) throws IOException {
        Path src = copyOfFs(dir);
        Proc.Result r = Ours.process("--report", src.toString(), src.toString(), dir.resolve("out.img").toString());
        assertEquals("ERROR: --report can only be used with --best-effort", ErrorLines.assertOneErrorLine(r));
        assertEquals(fsDigest, digest(src));
        assertEquals(Set.of("src.img"), names(dir));
    }

    @Test
    void reportOverSourceOrTargetIsRefused(@TempDir Path dir) throws IOException {
        Path src = copyOfFs(dir);
        Path out = dir.resolve("out.img");
        String line = ErrorLines.assertOneErrorLine(
                Ours.process("--best-effort", "--report", src.toString(), src.toString(), out.toString()));
        assertEquals("ERROR: refusing to write " + src + ": it is the source, which this run must not overwrite",
                line);
        assertEquals(fsDigest, digest(src));
        assertEquals(Set.of("src.img"), names(dir));

        Files.write(out, new byte[] {1, 2, 3});
        line = ErrorLines.assertOneErrorLine(
                Ours.process("--best-effort", "--report", out.toString(), src.toString(), out.toString()));
        assertTrue(line.startsWith("ERROR: refusing to write " + out + ": it is the image's target"), line);
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out));
        assertEquals(Set.of("src.img", "out.img"), names(dir));
    }

    /**
     * The other device of a two-device filesystem typed as a target: the reference writes its image over it
     * ("btrfs-image dev1 dev2 out.img" ignores out.img and writes dev2; "btrfs-image dev1 dev2" too). Both are
     * refused before anything is opened for writing, and both devices keep every byte.
     */
    @Test
    void aDeviceOfTheSourceIsNeverATarget(@TempDir Path dir) throws IOException {
        Path d1 = dir.resolve("d1.img");
        Path d2 = dir.resolve("d2.img");
        Mkfs.devices(d1, d2).size(128L << 20).metadata("raid1").run();
        String before1 = digest(d1);
        String before2 = digest(d2);
        Path out = dir.resolve("out.img");

        Proc.Result extra = Ours.process("-c", "9", d1.toString(), d2.toString(), out.toString());
        assertEquals(1, extra.exitCode());
        assertTrue(extra.stderr().startsWith("ERROR: a dump takes one source and one target, but 3 operands were"
                + " given (" + d1 + " " + d2 + " " + out + "); give the other devices of a multi-device filesystem"
                + " with --device\n"), extra.stderr());

        String line = ErrorLines.assertOneErrorLine(Ours.process(d1.toString(), d2.toString()));
        assertTrue(line.startsWith("ERROR: refusing to write " + d2 + ": it holds a device of the filesystem being"
                + " dumped (fsid "), line);
        line = ErrorLines.assertOneErrorLine(
                Ours.process("--best-effort", "--report", d2.toString(), d1.toString(), out.toString()));
        assertTrue(line.startsWith("ERROR: refusing to write " + d2 + ": it holds a device"), line);

        assertEquals(before1, digest(d1));
        assertEquals(before2, digest(d2));
        assertEquals(Set.of("d1.img", "d2.img"), names(dir));

        // What was meant: the other device given with --device.
        assertEquals(0, Ours.process("--device", d2.toString(), d1.toString(), out.toString()).exitCode());
        assertTrue(Files.size(out) > 0);
        assertEquals(before2, digest(d2));
    }

    @Test
    void reportThatCannotBeWrittenMeansNoImage(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.img");
        String report = dir.resolve("missing-dir/report.json").toString();
        String line = ErrorLines.assertOneErrorLine(
                Ours.process("--best-effort", "--report", report, fs.toString(), out.toString()));
        assertTrue(line.startsWith("ERROR: unable to create target file " + report + ": no such directory"), line);
        assertEquals(Set.of(), names(dir));
    }

    @Test
    void reportIsWrittenBeforeTheImage(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.img");
        Path report = dir.resolve("report.json");
        Proc.Result r = Ours.process("--best-effort", "--report", report.toString(), fs.toString(), out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertArrayEquals(expected, Files.readAllBytes(out));
        assertEquals("{\"source\":\"" + fs + "\",\"image\":\"" + out + "\",\"problems\":[]}\n",
                Files.readString(report));
        assertEquals(Set.of("out.img", "report.json"), names(dir));
    }

    // ------------------------------------------------------------------ 2. device nodes and FIFOs

    @Test
    void characterDeviceIsWrittenInPlace(@TempDir Path dir) throws IOException {
        Path node = dir.resolve("null");
        Proc.runOk("mknod", node.toString(), "c", "1", "3"); // a second /dev/null
        Proc.Result r = Ours.process("--no-progress", fs.toString(), node.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("character special file", fileType(node));
        assertEquals(Set.of("null"), names(dir));
    }

    @Test
    void fifoReceivesTheImage(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("pipe");
        Proc.runOk("mkfifo", fifo.toString());
        Path received = shared.resolve("from-fifo-" + System.nanoTime());
        Process reader = new ProcessBuilder("cat", fifo.toString()).redirectOutput(received.toFile()).start();
        try {
            Proc.Result r = Ours.process("--no-progress", fs.toString(), fifo.toString());
            assertEquals(0, r.exitCode(), r.describe());
            assertTrue(reader.waitFor(30, TimeUnit.SECONDS));
            assertArrayEquals(expected, Files.readAllBytes(received));
            assertEquals("fifo", fileType(fifo));
            assertEquals(Set.of("pipe"), names(dir));
        } finally {
            reader.destroyForcibly();
            Files.deleteIfExists(received);
        }
    }

    /** A loop device as TARGET: the device (its backing file) receives the image; the node stays a node. */
    @Test
    void blockDeviceIsWrittenInPlace(@TempDir Path dir) throws IOException {
        assumeRoot();
        Path backing = dir.resolve("disk");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(8L << 20);
        }
        String dev = losetup(backing);
        try {
            Proc.Result r = Ours.process("--no-progress", fs.toString(), dev);
            assertEquals(0, r.exitCode(), r.describe());
            assertEquals("block special file", fileType(Path.of(dev)));
        } finally {
            Proc.run("losetup", "-d", dev);
        }
        byte[] head = new byte[expected.length];
        try (InputStream in = Files.newInputStream(backing)) {
            assertEquals(expected.length, in.readNBytes(head, 0, head.length));
        }
        assertArrayEquals(expected, head);
    }

    // ------------------------------------------------------------------ 3. write errors on stdout

    @Test
    void stdoutOnAFullDevice() {
        Proc.Result r = shell(ours("--no-progress", fs.toString(), "-") + " > /dev/full");
        assertEquals("ERROR: unable to write stdout: No space left on device", ErrorLines.assertOneErrorLine(r));
        r = shell(ours("--no-progress", "-c", "9", fs.toString(), "-") + " > /dev/full");
        assertEquals("ERROR: unable to write stdout: No space left on device", ErrorLines.assertOneErrorLine(r));
    }

    @Test
    void stdoutPipeClosedEarly() {
        Proc.Result r = shell(ours("--no-progress", fs.toString(), "-") + " | head -c 1000 > /dev/null;"
                + " exit ${PIPESTATUS[0]}");
        assertEquals("ERROR: unable to write stdout: Broken pipe", ErrorLines.assertOneErrorLine(r));
    }

    @Test
    void stdoutClosed() {
        Proc.Result r = shell(ours("--no-progress", fs.toString(), "-") + " >&-");
        assertEquals("ERROR: unable to write stdout: Bad file descriptor", ErrorLines.assertOneErrorLine(r));
    }

    /**
     * A tmpfs with room for half the image: a target file (in place and through parts), and stdout redirected
     * into it; nothing is left on it but what the shell created.
     */
    @Test
    void targetOnAFullFileSystem(@TempDir Path dir) throws IOException {
        assumeRoot();
        Path mnt = Files.createDirectories(dir.resolve("tiny"));
        Proc.Result m = Proc.run("mount", "-t", "tmpfs", "-o", "size=" + expected.length / 2, "tmpfs", mnt.toString());
        assumeTrue(m.ok(), m::describe);
        try {
            for (List<String> opts : List.of(List.of("-c", "0"), List.of("-c", "0", "--master", "local[2]",
                    "--partitions", "3"))) {
                Path out = mnt.resolve("fs.img");
                List<String> args = new ArrayList<>(List.of("--no-progress"));
                args.addAll(opts);
                args.addAll(List.of(fs.toString(), out.toString()));
                Proc.Result r = Ours.process(args.toArray(String[]::new));
                assertEquals("ERROR: unable to write " + out + ": No space left on device",
                        ErrorLines.assertOneErrorLine(r), opts.toString());
                assertEquals(Set.of(), names(mnt));
            }
            Proc.Result r = shell(ours("--no-progress", fs.toString(), "-") + " > " + mnt.resolve("stdout.img"));
            assertEquals("ERROR: unable to write stdout: No space left on device", ErrorLines.assertOneErrorLine(r));
        } finally {
            Proc.run("umount", mnt.toString());
        }
    }

    // ------------------------------------------------------------------ 4, 5. the source and the image read

    @Test
    void restoreOntoItsOwnImageByUri(@TempDir Path dir) throws IOException {
        Path img = dir.resolve("h.img");
        Files.write(img, expected);
        Proc.Result r = Proc.run(oursCommand("-r", "file://" + img, "h.img"), LONG, dir);
        assertEquals("ERROR: refusing to write h.img: it is the image being restored (file://" + img
                + "), which this run must not overwrite", ErrorLines.assertOneErrorLine(r));
        assertArrayEquals(expected, Files.readAllBytes(img));
        assertEquals(Set.of("h.img"), names(dir));
    }

    @Test
    void dumpOntoItsSourceByAnyName(@TempDir Path dir) throws IOException {
        Path src = copyOfFs(dir);
        Path link = Files.createSymbolicLink(dir.resolve("link.img"), src);
        Path hard = Files.createLink(dir.resolve("hard.img"), src);
        for (String target : List.of(src.toString(), link.toString(), hard.toString(), "file://" + src)) {
            String line = ErrorLines.assertOneErrorLine(Ours.process("--no-progress", src.toString(), target));
            assertTrue(line.startsWith("ERROR: refusing to write " + target + ": it is the source"), line);
        }
        assertEquals(fsDigest, digest(src));
        assertEquals(Set.of("src.img", "link.img", "hard.img"), names(dir));
    }

    /** A loop device whose backing file is the source: writing the device would write the source. */
    @Test
    void dumpOntoTheLoopDeviceOfItsSource(@TempDir Path dir) throws IOException {
        assumeRoot();
        Path src = copyOfFs(dir);
        String dev = losetup(src);
        try {
            String line = ErrorLines.assertOneErrorLine(Ours.process("--no-progress", src.toString(), dev));
            assertTrue(line.startsWith("ERROR: refusing to write " + dev + ": it is the source"), line);
        } finally {
            Proc.run("losetup", "-d", dev);
        }
        assertEquals(fsDigest, digest(src));
    }

    // ------------------------------------------------------------------ 7. concurrent runs on one target

    /**
     * Two dumps to one target started together, 20 times: exactly one succeeds, the other names the target; the
     * target is the right image. The runs overlap: the winner holds the lock from before its Spark start to its
     * commit, and each of its tasks holds for 1 s on top, more than the two JVMs' start-up times differ.
     */
    @Test
    void twoDumpsToOneTarget(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("t.img");
        for (int round = 0; round < 20; round++) {
            Files.deleteIfExists(out);
            List<String> args = new ArrayList<>(List.of("--no-progress", "--runner", "spark"));
            args.addAll(FaultPlugin.delay(1000));
            args.addAll(List.of(fs.toString(), out.toString()));
            List<Proc.Result> results = together(args, args);
            long ok = results.stream().filter(Proc.Result::ok).count();
            assertEquals(1, ok, "round " + round + ": " + results);
            Proc.Result loser = results.stream().filter(r -> !r.ok()).findFirst().orElseThrow();
            String line = ErrorLines.assertOneErrorLine(loser);
            assertTrue(line.startsWith("ERROR: unable to create target file " + out
                    + ": another btrfs-image run is writing it"), line);
            assertArrayEquals(expected, Files.readAllBytes(out), "round " + round);
            assertEquals(Set.of("t.img"), names(dir), "round " + round);
        }
    }

    /** A restore started while a dump to the same file runs: refused, naming the file; the dump completes. */
    @Test
    void restoreWhileADumpWritesTheSameFile(@TempDir Path dir) throws Exception {
        Path image = shared.resolve("restore-source-" + System.nanoTime() + ".img");
        Files.write(image, expected);
        Path out = dir.resolve("t.img");
        try {
            for (int round = 0; round < 3; round++) {
                Files.deleteIfExists(out);
                List<String> dump = new ArrayList<>(Ours.command());
                dump.addAll(List.of("--no-progress", "--runner", "spark"));
                dump.addAll(FaultPlugin.delay(3000));
                dump.addAll(List.of(fs.toString(), out.toString()));
                Process p = new ProcessBuilder(dump).redirectErrorStream(true).start();
                Path lock = dir.resolve(".t.img.lock");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(lock) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(Files.exists(lock), "the dump never took its lock");
                Proc.Result restore = Ours.process("-r", image.toString(), out.toString());
                String line = ErrorLines.assertOneErrorLine(restore);
                assertTrue(line.startsWith("ERROR: unable to create target file " + out
                        + ": another btrfs-image run is writing it"), line);
                assertTrue(p.waitFor(120, TimeUnit.SECONDS));
                String dumpOutput = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, p.exitValue(), dumpOutput);
                assertArrayEquals(expected, Files.readAllBytes(out));
                assertEquals(Set.of("t.img"), names(dir));
            }
        } finally {
            Files.deleteIfExists(image);
        }
    }

    // ------------------------------------------------------------------ 8. umask

    /** Under umask 077 the image, its temporary file and the staging directory are private. */
    @Test
    void umaskIsHonoured(@TempDir Path dir) throws Exception {
        for (List<String> opts : List.of(List.of("-c", "0"), List.of("-c", "9"), List.of("-ss", "--seed", "7"),
                List.of("--compress", "zstd"))) {
            Path out = dir.resolve("u.img");
            Files.deleteIfExists(out);
            List<String> args = new ArrayList<>(List.of("--no-progress", "--runner", "spark"));
            args.addAll(FaultPlugin.delay(1500));
            args.addAll(opts);
            args.addAll(List.of(fs.toString(), out.toString()));
            Process p = new ProcessBuilder("bash", "-c", "umask 077; exec " + ours(args.toArray(String[]::new)))
                    .redirectErrorStream(true).start();
            Set<String> seen = new TreeSet<>();
            while (p.isAlive()) {
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path f : s.toList()) {
                        String mode = mode(f);
                        if (mode != null) {
                            seen.add(f.getFileName().toString().replaceAll("-[0-9a-f]{8}$", "-ID") + " " + mode);
                        }
                    }
                } catch (IOException ignored) {
                    // a file went away between listing and stat
                }
                Thread.sleep(10);
            }
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), opts + ": " + log);
            assertEquals("600", mode(out), opts.toString());
            for (String s : seen) {
                String name = s.substring(0, s.indexOf(' '));
                String mode = s.substring(s.indexOf(' ') + 1);
                assertEquals(name.contains(".staging-") ? "700" : "600", mode, opts + ": " + seen);
            }
            assertTrue(seen.contains(".u.img.tmp-ID 600"), opts + ": " + seen);
            assertTrue(seen.stream().anyMatch(s -> s.startsWith(".u.img.staging-ID")), opts + ": " + seen);
        }
    }

    // ------------------------------------------------------------------ 9. restore from stdin

    /**
     * {@code -r -} spools stdin in $TMPDIR with mode 0600; a SIGTERM (the run blocked on the pipe, so the watchdog
     * acts) removes the spool and leaves the target as it was.
     */
    @Test
    void interruptedRestoreFromStdin(@TempDir Path dir) throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path img = dir.resolve("in.img");
        Files.write(img, expected);
        Path out = dir.resolve("restored.img");
        Files.writeString(out, "precious");
        // Half the image now, the rest never: the restore waits on stdin.
        String script = "export TMPDIR=" + tmp + "; (head -c " + expected.length / 2 + " " + img + "; sleep 60) | "
                + ours("-r", "-", out.toString());
        Process p = new ProcessBuilder("bash", "-c", "exec bash -c '" + script.replace("'", "'\\''") + "'")
                .redirectErrorStream(true).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Path spool = null;
        while (spool == null && System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.list(tmp)) {
                spool = s.findFirst().orElse(null);
            }
            Thread.sleep(20);
        }
        assertTrue(spool != null, "no spool file appeared in $TMPDIR");
        assertEquals("600", mode(spool));
        Thread.sleep(300);
        ProcessHandle java = p.toHandle().descendants().filter(h -> h.info().command().orElse("").endsWith("java"))
                .findFirst().orElseThrow();
        Proc.runOk("kill", "-TERM", Long.toString(java.pid()));
        assertTrue(java.onExit().get(30, TimeUnit.SECONDS) != null);
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.waitFor(30, TimeUnit.SECONDS);
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(log.contains("ERROR: interrupted by SIGTERM; " + out + " left as it was"), log);
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList());
        }
        assertEquals("precious", Files.readString(out));
        assertEquals(Set.of("in.img", "restored.img", "tmp"), names(dir));
    }

    // ------------------------------------------------------------------ 12. signals

    @Test
    void sigtermDuringADump(@TempDir Path dir) throws Exception {
        for (String signal : List.of("TERM", "INT")) {
            Path out = dir.resolve("t.img");
            List<String> cmd = new ArrayList<>(Ours.command());
            cmd.addAll(List.of("--no-progress", "--runner", "spark", "-c", "9"));
            cmd.addAll(FaultPlugin.delay(5000));
            cmd.addAll(List.of(fs.toString(), out.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            waitForName(dir, ".t.img.staging-");
            Thread.sleep(500);
            Proc.runOk("kill", "-" + signal, Long.toString(p.pid()));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, p.exitValue(), log);
            assertEquals("ERROR: interrupted by SIG" + signal + "; " + out + " was not written", log.strip(), log);
            assertEquals(Set.of(), names(dir), signal);
        }
    }

    /** A signal that arrives once the image is in place does not turn a complete image into a failure. */
    @Test
    void sigtermAfterTheCommit(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("t.img");
        List<String> cmd = new ArrayList<>(Ours.command());
        cmd.addAll(List.of("--no-progress", fs.toString(), out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(out) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        if (p.isAlive()) {
            Proc.run("kill", "-TERM", Long.toString(p.pid()));
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), log);
        assertFalse(log.contains("ERROR"), log);
        assertArrayEquals(expected, Files.readAllBytes(out));
    }

    // ------------------------------------------------------------------ 13. restore onto a mounted device

    @Test
    void restoreOntoAMountedDeviceIsRefused(@TempDir Path dir) throws IOException {
        assumeRoot();
        Path img = dir.resolve("in.img");
        Files.write(img, expected);
        Path backing = Files.copy(fs, dir.resolve("mounted.img"));
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        String dev = losetup(backing);
        try {
            Proc.Result m = Proc.run("mount", "-o", "ro", dev, mnt.toString());
            assumeTrue(m.ok(), m::describe);
            try {
                String line = ErrorLines.assertOneErrorLine(Ours.process("-r", img.toString(), dev));
                assertTrue(line.startsWith("ERROR: refusing to write " + dev + ": the device is "), line);
                assertTrue(line.endsWith("(--force writes it anyway)"), line);
            } finally {
                Proc.run("umount", mnt.toString());
            }
        } finally {
            Proc.run("losetup", "-d", dev);
        }
        assertEquals(fsDigest, digest(backing));
    }

    // ------------------------------------------------------------------ 14. names

    @Test
    void namesWithColonsAndLongNames(@TempDir Path dir) throws IOException {
        String stamp = "backup-2026-12-06T06:10:00.metadump";
        Proc.Result r = Proc.run(oursCommand("--no-progress", fs.toString(), stamp), LONG, dir);
        assertEquals(0, r.exitCode(), r.describe());
        assertArrayEquals(expected, Files.readAllBytes(dir.resolve(stamp)));
        Files.copy(dir.resolve(stamp), dir.resolve("img:1.img"));
        r = Proc.run(oursCommand("-r", "img:1.img", "out"), LONG, dir);
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(RefTool.check(dir.resolve("out")).ok());
        String longName = "x".repeat(250) + ".img";
        r = Ours.process("--no-progress", "-c", "9", fs.toString(), dir.resolve(longName).toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(Set.of(stamp, "img:1.img", "out", longName), names(dir));
    }

    // ------------------------------------------------------------------ 15. one line, no stack trace

    @Test
    void sparkConfigurationErrors(@TempDir Path dir) throws IOException {
        String line = ErrorLines.assertOneErrorLine(
                Ours.process("--no-progress", "--master", "bogus://x", fs.toString(), dir.resolve("o").toString()));
        assertEquals("ERROR: cannot start Spark (master bogus://x): Could not parse Master URL: 'bogus://x'", line);
        line = ErrorLines.assertOneErrorLine(Ours.process("--no-progress", "--master", "spark://127.0.0.1:1", "--conf",
                "spark.executor.memory=abc", fs.toString(), dir.resolve("o").toString()));
        assertTrue(line.startsWith("ERROR: cannot start Spark (master spark://127.0.0.1:1): Size must be specified"),
                line);
        assertEquals(Set.of(), names(dir));
    }

    /**
     * Out of space while a compressed image is merged: a tmpfs with room for the staged parts and half the
     * image (the merge streams the parts into the image's temporary file on the same file system).
     */
    @Test
    void outOfSpaceDuringTheMerge(@TempDir Path dir) throws IOException {
        assumeRoot();
        Path probe = dir.resolve("probe.img");
        Ours.process("--no-progress", "--runner", "spark", "-c", "1", fs.toString(), probe.toString());
        long image = Files.size(probe);
        Files.delete(probe);
        // One part takes the image's pages; what remains is half of them, too little for the merged image.
        long page = 4096;
        long pages = (image + page - 1) / page;
        assertTrue(pages >= 2, image + " bytes");
        long size = (pages + pages / 2) * page;
        Path mnt = Files.createDirectories(dir.resolve("tiny"));
        Proc.Result m = Proc.run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt.toString());
        assumeTrue(m.ok(), m::describe);
        try {
            Path out = mnt.resolve("o.img");
            // Staged parts exist on Spark only: in-process parts stay in memory.
            Proc.Result r = Ours.process("--no-progress", "--runner", "spark", "-c", "1", "--partitions", "1",
                    fs.toString(), out.toString());
            String line = ErrorLines.assertOneErrorLine(r);
            assertTrue(line.startsWith("ERROR: unable to write ") && line.endsWith("No space left on device"), line);
            assertEquals(Set.of(), names(mnt));
        } finally {
            Proc.run("umount", mnt.toString());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Path copyOfFs(Path dir) throws IOException {
        return Files.copy(fs, dir.resolve("src.img"));
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    static String digest(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] b = new byte[1 << 20];
            int n;
            while ((n = in.read(b)) > 0) {
                md.update(b, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String fileType(Path p) {
        return Proc.runOk("stat", "-c", "%F", p.toString()).stdout().strip();
    }

    /** Octal permission bits, or null if the file is gone. */
    private static String mode(Path p) {
        try {
            return Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode") & 0777);
        } catch (IOException e) {
            return null;
        }
    }

    private static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (loop devices, mounts, mknod)");
    }

    private static String losetup(Path file) {
        return Proc.runOk("losetup", "-f", "--show", file.toString()).stdout().strip();
    }

    /** Our tool's command line, quoted for bash. */
    private static String ours(String... args) {
        List<String> cmd = new ArrayList<>(Ours.command());
        cmd.addAll(List.of(args));
        return cmd.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
    }

    private static Proc.Result shell(String script) {
        return Proc.run(List.of("bash", "-c", script), LONG);
    }

    private static List<String> oursCommand(String... args) {
        List<String> cmd = new ArrayList<>(Ours.command());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<Proc.Result> together(List<String> a, List<String> b) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var fa = pool.submit(() -> Ours.process(LONG, a.toArray(String[]::new)));
            var fb = pool.submit(() -> Ours.process(LONG, b.toArray(String[]::new)));
            return List.of(fa.get(), fb.get());
        } finally {
            pool.shutdownNow();
        }
    }

    private static void waitForName(Path dir, String prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.anyMatch(p -> p.getFileName().toString().startsWith(prefix))) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing named " + prefix + "* appeared in " + dir);
    }
}
