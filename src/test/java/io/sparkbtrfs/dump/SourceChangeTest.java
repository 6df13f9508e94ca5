package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.testing.FaultPlugin;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.SparseFiles;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Issue 11, item 6, without a kernel: a source file changed under the dump the way a filesystem being
 * written changes it. A newer superblock written while the parts are being written fails the dump before
 * the commit (exit 1, the change named, no target), or with {@code --best-effort} warns and keeps the image
 * as read (which restores: it carries the superblock the plan was made from). A tree block newer than the
 * planned superblock is refused once the superblock has changed, and accepted as the filesystem's own damage
 * while it has not. A root that the extent tree does not list fails the plan, naming the tree and block.
 */
class SourceChangeTest {
    private static final int NODESIZE = 16384;
    private static final String ADVICE = "dump a snapshot (LVM/dm snapshot) or an unmounted filesystem";

    @TempDir
    static Path shared;
    static Path clean;

    @BeforeAll
    static void makeFs() throws IOException {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(23).fileCount(300).generate(shared.resolve("tree"));
        clean = Mkfs.image(shared.resolve("fs.img")).size(128L << 20).nodesize(NODESIZE).metadata("dup")
                .rootdir(shared.resolve("tree")).run();
    }

    private static Path copy(Path dir) {
        return SparseFiles.copy(clean, dir.resolve("fs.img"));
    }

    // ------------------------------------------------------------------ the superblock changes

    @Test
    void superblockWrittenDuringTheDumpFailsItBeforeTheCommit(@TempDir Path dir) throws Exception {
        Path fs = copy(dir);
        long generation = generation(fs);
        Path target = dir.resolve("out").resolve("image");
        Files.createDirectories(target.getParent());
        Ours.Run r = dumpWhileBumpingTheSuperblock(fs, target);
        assertEquals(1, r.status(), r.stderr());
        assertEquals(List.of("ERROR: " + fs + " changed during the dump (superblock generation " + generation + " -> "
                + (generation + 10) + "); " + ADVICE), errorLines(r.stderr()));
        try (var s = Files.list(target.getParent())) {
            assertEquals(List.of(), s.toList(), "left in the target directory");
        }
    }

    @Test
    void bestEffortWarnsAndKeepsTheImageAsPlanned(@TempDir Path dir) throws Exception {
        Path fs = copy(dir);
        long generation = generation(fs);
        Path target = dir.resolve("image");
        Ours.Run r = dumpWhileBumpingTheSuperblock(fs, target, "--best-effort");
        assertEquals(0, r.status(), r.stderr());
        assertTrue(r.stderr().contains("WARNING: " + fs + " changed during the dump (superblock generation "
                + generation + " -> " + (generation + 10) + "); the image holds the blocks as they were read and may "
                + "not restore; " + ADVICE + "\n"), r.stderr());
        // The image carries the superblock the plan was made from, not the one found at the end.
        Path restored = dir.resolve("restored.img");
        assertEquals(0, RefTool.restore(target, restored).exitCode());
        assertEquals(Long.toString(generation), RefTool.superFields(restored).get("generation"));
        assertEquals(0, RefTool.check(restored).exitCode(), RefTool.check(restored).output());
    }

    /**
     * Dumps {@code fs} (in this JVM, local Spark) with every task held for 5 s before it reads anything, and
     * rewrites the superblock with a generation 10 higher while a task is held: after planning, before the
     * parts are written and the final check. The order is asserted, not assumed from timing.
     */
    private static Ours.Run dumpWhileBumpingTheSuperblock(Path fs, Path target, String... opts) throws Exception {
        List<String> args = new ArrayList<>(List.of("--runner", "spark"));
        args.addAll(FaultPlugin.delay(5000));
        args.addAll(List.of(opts));
        CompletableFuture<Ours.Run> dump = CompletableFuture.supplyAsync(
                () -> Ours.dump(fs, target, args.toArray(new String[0])));
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!FaultPlugin.taskHeld() && !dump.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(FaultPlugin.taskHeld(), "no task was seen held before writing its part");
        bumpGeneration(fs, 10);
        assertTrue(FaultPlugin.taskHeld(), "the task went on before the superblock was rewritten (machine too loaded?)");
        return dump.get();
    }

    // ------------------------------------------------------------------ blocks newer than the superblock

    @Test
    void newerBlockIsRefusedOnlyOnceTheSuperblockChanged(@TempDir Path dir) throws Exception {
        Path fs = copy(dir);
        long generation = generation(fs);
        long fsRoot = RefTool.rootOf(fs, "FS_TREE");
        setBlockGeneration(fs, fsRoot, generation + 5);
        try (Volume v = Volume.open(List.of(fs.toString()), new Configuration())) {
            // A filesystem nobody writes that has such a block: its own damage, read as the reference reads it.
            assertEquals(generation + 5, ByteBuffer.wrap(v.readTreeBlock(fsRoot)).order(ByteOrder.LITTLE_ENDIAN)
                    .getLong(80));
            SourceWatch watch = SourceWatch.of("fs.img", v, new Configuration(), false, System.err);
            assertEquals(null, watch.changes());
            watch.beforeCommit();

            bumpGeneration(fs, 10);
            BlockReadException e = assertThrows(BlockReadException.class, () -> v.readTreeBlock(fsRoot));
            assertEquals("unable to read metadata block " + fsRoot + ": generation " + (generation + 5)
                    + " is newer than the superblock's " + generation + " (written after it); the source is being "
                    + "written", e.getMessage());
            String changes = "superblock generation " + generation + " -> " + (generation + 10);
            assertEquals(changes, watch.changes());
            IOException failed = assertThrows(IOException.class, watch::beforeCommit);
            assertEquals("fs.img changed during the dump (" + changes + "); " + ADVICE, failed.getMessage());
            assertEquals("fs.img changed during the dump (" + changes + "; " + e.getMessage() + "); " + ADVICE,
                    watch.explain(new RuntimeException("fs.img: " + e.getMessage(), e)));

            ByteArrayOutputStream err = new ByteArrayOutputStream();
            SourceWatch bestEffort = SourceWatch.of("fs.img", v, new Configuration(), true,
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            bestEffort.beforeCommit();
            assertEquals("WARNING: fs.img changed during the dump (" + changes + "); the image holds the blocks as "
                    + "they were read and may not restore; " + ADVICE + "\n", err.toString(StandardCharsets.UTF_8));
        }
    }

    // ------------------------------------------------------------------ a root the extent tree does not list

    /**
     * The fs tree's root made invisible to the extent scan (its METADATA_ITEM flagged as data, as a tree kept
     * outside the extent tree would be): the default dump walks the trees the extent tree does not list, so
     * the image holds the root and restores with the reference, as the {@code -w} image does.
     */
    @Test
    void rootMissingFromTheExtentTree(@TempDir Path dir) throws Exception {
        Path fs = copy(dir);
        long fsRoot = RefTool.rootOf(fs, "FS_TREE");
        unlistTreeBlock(fs, fsRoot);

        for (String mode : new String[] {"-c", "-w"}) {
            Path image = dir.resolve(mode + ".img");
            Ours.Run r = mode.equals("-w") ? Ours.dump(fs, image, "-w") : Ours.dump(fs, image);
            assertEquals(0, r.status(), r.stderr());
            assertTrue(ChecksumTypesTest.bytenrs(image).contains(fsRoot), mode);
            assertEquals(0, RefTool.restore(image, dir.resolve(mode + ".restored")).exitCode(), mode);
            assertEquals(0, Ours.process("verify", image.toString()).exitCode(), mode);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static List<String> errorLines(String stderr) {
        return stderr.lines().filter(l -> !l.isBlank() && !l.startsWith("WARNING:")).toList();
    }

    private static long generation(Path fs) {
        return Long.parseLong(RefTool.superFields(fs).get("generation"));
    }

    /** Rewrites every copy of the tree block at {@code logical} after {@code change}, with a valid checksum. */
    private static void patchBlock(Path fs, long logical, java.util.function.Consumer<ByteBuffer> change)
            throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(fs.toFile(), "rw")) {
            for (long p : RefTool.physicalCopies(fs, logical)) {
                byte[] b = new byte[NODESIZE];
                f.seek(p);
                f.readFully(b);
                change.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
                CRC32C crc = new CRC32C();
                crc.update(b, 32, NODESIZE - 32);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) crc.getValue());
                f.seek(p);
                f.write(b);
            }
        }
    }

    private static void setBlockGeneration(Path fs, long logical, long generation) throws IOException {
        patchBlock(fs, logical, b -> b.putLong(80, generation));
    }

    /** Flags the extent item of tree block {@code logical} as data, so that the extent scan skips it. */
    private static void unlistTreeBlock(Path fs, long logical) throws IOException {
        String out = RefTool.dumpTree(fs, "-t", "extent").requireOk().stdout();
        long leaf = -1;
        int itemOffset = -1;
        for (String line : out.split("\n")) {
            Matcher l = Pattern.compile("^leaf (\\d+) items").matcher(line);
            if (l.find()) {
                leaf = Long.parseLong(l.group(1));
            }
            Matcher i = Pattern.compile("key \\(" + logical + " METADATA_ITEM \\d+\\) itemoff (\\d+)").matcher(line);
            if (i.find()) {
                itemOffset = Integer.parseInt(i.group(1));
                break;
            }
        }
        assertTrue(leaf > 0 && itemOffset > 0, "no METADATA_ITEM for " + logical);
        int flags = 101 + itemOffset + 16;
        patchBlock(fs, leaf, b -> {
            assertEquals(2, b.getLong(flags), "tree block flag");
            b.putLong(flags, 1);
        });
    }

    /** Adds {@code by} to the primary superblock's generation and re-checksums it. */
    private static void bumpGeneration(Path fs, long by) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(fs.toFile(), "rw")) {
            byte[] sb = new byte[4096];
            f.seek(65536);
            f.readFully(sb);
            ByteBuffer b = ByteBuffer.wrap(sb).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(72, b.getLong(72) + by);
            CRC32C crc = new CRC32C();
            crc.update(sb, 32, 4096 - 32);
            b.putInt(0, (int) crc.getValue());
            f.seek(65536);
            f.write(sb);
        }
    }
}
