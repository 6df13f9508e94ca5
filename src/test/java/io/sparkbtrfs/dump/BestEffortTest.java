package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.cli.Main;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.SparseFiles;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Issue 7 acceptance 3: one tree block destroyed on both DUP copies. A strict dump fails naming the
 * block; {@code --best-effort} succeeds, its report names exactly that block, and the image restores.
 * Also: a destroyed extent-tree leaf makes the best-effort dump walk the trees instead.
 */
class BestEffortTest {
    @TempDir
    static Path shared;
    static Path clean;

    @BeforeAll
    static void makeFs() throws IOException {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(17).fileCount(3000).generate(shared.resolve("tree"));
        clean = Mkfs.image(shared.resolve("fs.img")).size(256L << 20).nodesize(16384).metadata("dup")
                .rootdir(shared.resolve("tree")).run();
    }

    private static void destroy(Path fs, long logical) throws IOException {
        List<Long> copies = RefTool.physicalCopies(fs, logical);
        assertEquals(2, copies.size(), "DUP copies: " + copies);
        byte[] junk = new byte[16384];
        new SplittableRandom(logical).nextBytes(junk);
        try (RandomAccessFile f = new RandomAccessFile(fs.toFile(), "rw")) {
            for (long p : copies) {
                f.seek(p);
                f.write(junk);
            }
        }
    }

    private static Path copy(Path dir) {
        return SparseFiles.copy(clean, dir.resolve("damaged.img"));
    }

    @Test
    void destroyedFsTreeRoot(@TempDir Path dir) throws IOException {
        Path fs = copy(dir);
        long block = RefTool.rootOf(fs, "FS_TREE");
        destroy(fs, block);

        Ours.Run strict = Ours.dump(fs, dir.resolve("strict.img"));
        assertEquals(1, strict.status());
        assertTrue(strict.stderr().contains(Long.toString(block)), strict.stderr());
        assertFalse(Files.exists(dir.resolve("strict.img")));

        Path image = dir.resolve("best.img");
        Path report = dir.resolve("report.json");
        Ours.Run best = Ours.dump(fs, image, "--best-effort", "--report", report.toString(), "-c", "9");
        assertEquals(0, best.status(), best.stderr());
        String json = Files.readString(report);
        assertEquals(1, json.split("\"logical\":").length - 1, json);
        assertTrue(json.contains("\"logical\":" + block + ","), json);

        Path restored = dir.resolve("restored.img");
        assertEquals(0, Main.run(new String[] {"-r", image.toString(), restored.toString()}, System.out, System.err));
        assertEquals(RefTool.superFields(clean).get("generation"), RefTool.superFields(restored).get("generation"));
    }

    @Test
    void destroyedExtentTreeFallsBackToTheWalk(@TempDir Path dir) throws IOException {
        Path fs = copy(dir);
        long block = RefTool.rootOf(fs, "EXTENT_TREE");
        destroy(fs, block);
        Path image = dir.resolve("best.img");
        Path report = dir.resolve("report.json");
        Ours.Run best = Ours.dump(fs, image, "--best-effort", "--report", report.toString());
        assertEquals(0, best.status(), best.stderr());
        String json = Files.readString(report);
        assertTrue(json.contains("walking the trees instead"), json);
        assertTrue(json.contains("\"logical\":" + block + ","), json);
        Path restored = dir.resolve("restored.img");
        assertEquals(0, Main.run(new String[] {"-r", image.toString(), restored.toString()}, System.out, System.err));
        // every fs tree block made it: the restored fs tree dumps like the original's
        assertEquals(RefTool.dumpTree(clean, "-t", "5").stdout().lines().count(),
                RefTool.dumpTree(restored, "-t", "5").stdout().lines().count());
    }
}
