package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;

/**
 * A delta whose pruned walk is forced onto executors (every wave handed over, one node per task, on local[2]) is
 * byte for byte the delta made in-process (the walk depth first on one thread), on a kernel-written filesystem
 * changed between base and delta (files rewritten and deleted, a subvolume created, a snapshot sharing changed
 * blocks with its subvolume); the dump says the walk ran there; compacting base and delta gives the full dump.
 */
class PrunedWalkOnExecutorsTest {
    @TempDir
    Path tmp;

    @Test
    void deltaWithTheWalkOnExecutorsEqualsTheInProcessDelta() throws Exception {
        KernelFs.assumeAvailable();
        Path fs = Mkfs.image(tmp.resolve("fs.img")).size(256L << 20).nodesize(4096).run();
        Path mnt = tmp.resolve("mnt");
        SplittableRandom rnd = new SplittableRandom(21);
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            for (int f = 0; f < 1500; f++) {
                m.writeFile("d" + (f % 5) + "/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
            }
            m.subvolumeCreate("vol");
            for (int f = 0; f < 600; f++) {
                m.writeFile("vol/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
            }
        }
        Path base = tmp.resolve("base.img");
        Ours.dump(fs, base, "-c", "1").requireOk();
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            for (int f = 0; f < 1500; f += 9) {
                m.writeFile("d" + (f % 5) + "/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
            }
            Files.delete(m.resolve("d1/file-1"));
            for (int f = 3; f < 600; f += 7) {
                m.writeFile("vol/file-" + f, bytes(rnd, 100 + rnd.nextInt(1500)));
            }
            m.snapshot("vol", "snap", false);
            m.sync();
            m.writeFile("vol/file-0", bytes(rnd, 900));
            m.writeFile("snap/file-1", bytes(rnd, 900));
            m.subvolumeCreate("sub");
        }
        Path inProcess = tmp.resolve("in-process.delta");
        Ours.Run here = Ours.dump(fs, inProcess, "-c", "1", "--runner", "in-process", "--incremental",
                base.toString()).requireOk();
        assertTrue(here.stderr().contains("depth first on this thread"), here.stderr());
        Path spread = tmp.resolve("spread.delta");
        Ours.Run there = Ours.dump(fs, spread, "-c", "1", "--master", "local[2]", "--conf",
                ChangedWalkJob.MIN_NODES + "=1", "--conf", ChangedWalkJob.NODES_PER_TASK + "=1", "--incremental",
                base.toString()).requireOk();
        String line = there.stderr().lines().filter(l -> l.startsWith("delta:")).findFirst().orElse("");
        System.out.println(line);
        assertTrue(line.matches(".*then [1-9]\\d* subtree walks under [1-9]\\d* nodes elsewhere.*"), line);
        assertFalse(line.contains("again"), line);
        assertArrayEquals(Files.readAllBytes(inProcess), Files.readAllBytes(spread),
                "the delta made with the walk on executors differs from the in-process delta");

        // Without the forcing, a walk this small stays on the driver (breadth first), and the delta is the same.
        Path driver = tmp.resolve("driver.delta");
        Ours.Run small = Ours.dump(fs, driver, "-c", "1", "--master", "local[2]", "--incremental",
                base.toString()).requireOk();
        assertTrue(small.stderr().contains("breadth first on this thread in "), small.stderr());
        assertFalse(small.stderr().contains("subtree walks"), small.stderr());
        assertArrayEquals(Files.readAllBytes(inProcess), Files.readAllBytes(driver));

        Path full = tmp.resolve("full.img");
        Ours.dump(fs, full, "-c", "1").requireOk();
        Path compact = tmp.resolve("compact.img");
        assertEquals(0, run("compact", base.toString(), spread.toString(), compact.toString()));
        assertArrayEquals(Files.readAllBytes(full), Files.readAllBytes(compact),
                "compact of the chain differs from the full dump");
    }

    private static int run(String... args) {
        Ours.Run r = Ours.inJvm(args);
        if (r.status() != 0) {
            System.out.println(r.stderr());
        }
        return r.status();
    }

    private static byte[] bytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + rnd.nextInt(26));
        }
        return b;
    }
}
