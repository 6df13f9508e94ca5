package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Issue 11 acceptance 2: a loop-mounted filesystem (commit every second) dumped 20 times through its backing
 * file while a bounded writer creates, renames, deletes and fsyncs files in bursts. Every run either exits 0
 * with an image that the reference restores and {@code btrfs check} accepts, or exits 1 with one line that
 * says the source changed and suggests a snapshot, leaving no image; never exit 0 with an image that does not
 * restore. Runs alternate the extent-tree dump, {@code -w} and {@code -c 9}. Dumps run in this JVM (local
 * Spark). Needs root, loop devices and the btrfs module.
 */
class LiveSourceTest {
    private static final int RUNS = 20;
    private static final int MAX_SECONDS = 90;
    private static final Pattern CHANGED = Pattern.compile("ERROR: .* changed during the dump \\(.+\\); dump a "
            + "snapshot \\(LVM/dm snapshot\\) or an unmounted filesystem");

    @Test
    void dumpsOfAFilesystemBeingWritten(@TempDir Path dir) throws Exception {
        RefTool.assumeAvailable();
        KernelFs.assumeAvailable();
        Path image = Mkfs.image(dir.resolve("fs.img")).size(128L << 20).run();
        int ok = 0;
        int refused = 0;
        List<String> outcomes = new ArrayList<>();
        try (KernelFs.Mounted m = KernelFs.mount(image, dir.resolve("mnt"), "commit=1")) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong ops = new AtomicLong();
            Thread writer = new Thread(() -> write(m, stop, ops), "live-writer");
            writer.start();
            try {
                // At least RUNS dumps, and on until one has met a change: an in-process dump of this small
                // filesystem takes tens of milliseconds, and the writer pauses up to 1.5 s between bursts.
                long deadline = System.nanoTime() + MAX_SECONDS * 1_000_000_000L;
                for (int run = 0; run < RUNS || (refused == 0 && System.nanoTime() < deadline); run++) {
                    String[] opts = switch (run % 3) {
                        case 0 -> new String[0];
                        case 1 -> new String[] {"-w"};
                        default -> new String[] {"-c", "9"};
                    };
                    Path out = dir.resolve("run" + run + ".img");
                    Ours.Run r = Ours.dump(image, out, opts);
                    List<String> errors = r.stderr().lines().filter(l -> !l.startsWith("WARNING:") && !l.isBlank()
                            && !l.startsWith("dumped ")).toList();
                    if (r.status() == 0) {
                        ok++;
                        if (run < RUNS) {
                            outcomes.add(run + " " + List.of(opts) + ": exit 0");
                        }
                        assertEquals(List.of(), errors, r.stderr());
                        Path restored = dir.resolve("restored.img");
                        Proc.Result rr = RefTool.restore(out, restored);
                        assertEquals(0, rr.exitCode(), "run " + run + ": exit 0 but the reference cannot restore: "
                                + rr.describe());
                        Proc.Result check = RefTool.check(restored);
                        assertEquals(0, check.exitCode(), "run " + run + ": btrfs check: " + check.output());
                        Files.delete(restored);
                        Files.delete(out);
                    } else {
                        refused++;
                        outcomes.add(run + " " + List.of(opts) + ": " + errors);
                        assertEquals(1, r.status(), r.stderr());
                        assertEquals(1, errors.size(), r.stderr());
                        assertTrue(CHANGED.matcher(errors.get(0)).matches(), errors.get(0));
                        assertFalse(Files.exists(out), "an image was left after exit 1");
                    }
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            System.out.println("LiveSourceTest: " + ok + " dumps exited 0 (image restores, check passes), " + refused
                    + " refused the changed source; writer: " + ops.get() + " operations\n  "
                    + String.join("\n  ", outcomes));
            assertTrue(ops.get() > 0, "the writer did nothing");
        }
        assertTrue(refused > 0, "no dump saw the source change: the test did not test anything");
    }

    /**
     * Bursts of file operations (create, rename, delete, fsync) with pauses of up to a second and a half
     * between them, so that some dumps see a quiet filesystem and others a changing one; bounded in count.
     */
    private static void write(KernelFs.Mounted m, AtomicBoolean stop, AtomicLong ops) {
        SplittableRandom rnd = new SplittableRandom(11);
        List<Path> files = new ArrayList<>();
        try {
            for (int i = 0; i < 1_000_000 && !stop.get(); i++) {
                Path d = m.resolve("d" + (i % 16));
                Files.createDirectories(d);
                Path f = d.resolve("f" + i);
                byte[] data = new byte[rnd.nextInt(12_000)];
                rnd.nextBytes(data);
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(data));
                    if (i % 4 == 0) {
                        ch.force(true);
                    }
                }
                if (i % 3 == 0) {
                    Path g = d.resolve("g" + i);
                    Files.move(f, g);
                    f = g;
                }
                files.add(f);
                if (files.size() > 300) {
                    Files.deleteIfExists(files.remove(rnd.nextInt(files.size())));
                }
                ops.incrementAndGet();
                if (i % 40 == 39) {
                    Thread.sleep(rnd.nextInt(1500));
                }
            }
        } catch (NoSuchFileException e) {
            // the filesystem went away under us at the end
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
