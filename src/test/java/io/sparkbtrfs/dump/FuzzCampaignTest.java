package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Issue 7 acceptance 2: a seeded, reproducible fuzz campaign. Random bytes of random tree blocks (one copy
 * or every copy), of the superblock, of chunk-tree and of extent-tree blocks are corrupted in place; each
 * case dumps strictly and with {@code --best-effort}. Every run ends within 60 s with exit 0 or 1, one
 * {@code ERROR:} line on failure, no stack trace, nothing left behind on failure; a best-effort image that
 * was written restores (with our restore) and lists the damaged block.
 */
class FuzzCampaignTest {
    private static final long SEED = Long.getLong("sbtrfs.fuzz.seed", 20261124L);
    private static final int CASES = Integer.getInteger("sbtrfs.fuzz.cases", 100);

    @TempDir
    static Path shared;
    static Path fs;
    /** logical, owner of every tree block of the clean filesystem. */
    static List<long[]> blocks = new ArrayList<>();
    static List<ChunkItem> chunks;
    static int nodesize;

    @BeforeAll
    static void fixture() throws Exception {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(23).fileCount(1500).bigDirFiles(300).generate(shared.resolve("tree"));
        fs = Mkfs.image(shared.resolve("fs.img")).size(256L << 20).nodesize(4096).metadata("dup")
                .rootdir(shared.resolve("tree")).run();
        Path image = shared.resolve("clean.img");
        Ours.dump(fs, image, "-w").requireOk();
        try (Volume v = Volume.open(List.of(fs.toString()), new org.apache.hadoop.conf.Configuration())) {
            chunks = v.chunkMap().chunks();
            nodesize = v.superblock().nodesize();
        }
        try (InputStream in = Files.newInputStream(image)) {
            ImageReader r = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
                for (int i = 0; i < c.size(); i++) {
                    byte[] content = c.content(i, 1 << 20);
                    if (c.bytenrs()[i] == 65536) {
                        continue;
                    }
                    for (int off = 0; off + nodesize <= content.length; off += nodesize) {
                        blocks.add(new long[] {c.bytenrs()[i] + off, TreeBlock.owner(content, off)});
                    }
                }
            }
        }
        assertTrue(blocks.size() > 100, "fixture has only " + blocks.size() + " tree blocks");
    }

    private static List<Long> physical(long logical, boolean everyCopy) {
        List<Long> out = new ArrayList<>();
        for (ChunkItem c : chunks) {
            if (c.contains(logical)) {
                for (int m = 0; m < (everyCopy ? c.copies() : 1); m++) {
                    out.add(c.locate(logical, m).physical());
                }
            }
        }
        return out;
    }

    @Test
    void campaign(@TempDir Path dir) throws Exception {
        SplittableRandom rnd = new SplittableRandom(SEED);
        int strictFailures = 0;
        int bestEffortImages = 0;
        for (int k = 0; k < CASES; k++) {
            int kind = k % 5;
            long logical;
            List<Long> where;
            String label;
            if (kind == 0) {
                logical = 65536;
                where = List.of(65536L);
                label = "superblock";
            } else {
                long wantOwner = kind == 1 ? 3 : kind == 2 ? 2 : -1;
                List<long[]> pool = blocks.stream().filter(b -> wantOwner < 0 || b[1] == wantOwner).toList();
                long[] pick = pool.get(rnd.nextInt(pool.size()));
                logical = pick[0];
                boolean every = kind != 4;
                where = physical(logical, every);
                label = "block " + logical + " (owner " + pick[1] + ", " + (every ? "every copy" : "first copy") + ")";
            }
            int size = kind == 0 ? 4096 : nodesize;
            String what = "case " + k + " (seed " + SEED + "): " + label;
            byte[][] saved = corrupt(where, size, rnd);
            try {
                Path out = Files.createDirectories(dir.resolve("case" + k));
                Path strictImage = out.resolve("strict.img");
                RawCorpusTest.Run strict = timed(what, () -> RawCorpusTest.run("--no-progress", fs.toString(),
                        strictImage.toString()));
                clean(what + " strict", strict, out, strictImage);
                if (strict.status() == 0) {
                    continue;
                }
                strictFailures++;
                Path best = out.resolve("best.img");
                RawCorpusTest.Run be = timed(what, () -> RawCorpusTest.run("--no-progress", "--best-effort",
                        fs.toString(), best.toString()));
                clean(what + " best-effort", be, out, best);
                if (be.status() == 0) {
                    bestEffortImages++;
                    assertTrue(be.err().contains(Long.toString(logical)) || kind == 0, what + ": not listed\n" + be.err());
                    Path restored = out.resolve("restored.img");
                    RawCorpusTest.Run r = RawCorpusTest.run("-r", best.toString(), restored.toString());
                    assertEquals(0, r.status(), what + ": our restore of the best-effort image\n" + r.err());
                }
                deleteAll(out);
            } finally {
                revert(where, saved);
            }
        }
        System.out.printf("fuzz: %d cases, %d strict failures, %d best-effort images%n", CASES, strictFailures,
                bestEffortImages);
        assertTrue(strictFailures > 0, "the campaign damaged nothing that matters");
    }

    private static RawCorpusTest.Run timed(String what, java.util.concurrent.Callable<RawCorpusTest.Run> run) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), run::call, what);
    }

    private static void clean(String what, RawCorpusTest.Run r, Path dir, Path target) throws IOException {
        assertTrue(r.status() == 0 || r.status() == 1, what + ": exit " + r.status());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), what + ":\n" + r.err());
        if (r.status() == 1) {
            List<String> errors = r.err().lines().filter(l -> !l.startsWith("WARNING:") && !l.isBlank()).toList();
            assertEquals(1, errors.size(), what + ":\n" + r.err());
            assertTrue(errors.get(0).startsWith("ERROR: "), what + ":\n" + r.err());
            assertFalse(Files.exists(target), what + ": target left behind");
            try (Stream<Path> s = Files.list(dir)) {
                assertTrue(s.allMatch(p -> p.getFileName().toString().equals("strict.img")
                        || !p.getFileName().toString().startsWith(".")), what + ": staging debris");
            }
        }
    }

    private static byte[][] corrupt(List<Long> where, int size, SplittableRandom rnd) throws IOException {
        byte[][] saved = new byte[where.size()][];
        int bytes = 1 + rnd.nextInt(16);
        int[] positions = new int[bytes];
        for (int i = 0; i < bytes; i++) {
            positions[i] = rnd.nextInt(size);
        }
        try (RandomAccessFile f = new RandomAccessFile(fs.toFile(), "rw")) {
            for (int c = 0; c < where.size(); c++) {
                saved[c] = new byte[size];
                f.seek(where.get(c));
                f.readFully(saved[c]);
                byte[] bad = saved[c].clone();
                for (int p : positions) {
                    bad[p] ^= (byte) (1 + rnd.nextInt(255));
                }
                f.seek(where.get(c));
                f.write(bad);
            }
        }
        return saved;
    }

    private static void revert(List<Long> where, byte[][] saved) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(fs.toFile(), "rw")) {
            for (int c = 0; c < where.size(); c++) {
                f.seek(where.get(c));
                f.write(saved[c]);
            }
        }
    }

    private static void deleteAll(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
