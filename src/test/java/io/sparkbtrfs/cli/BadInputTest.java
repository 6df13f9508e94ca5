package io.sparkbtrfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.ErrorLines;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.SparseFiles;

/**
 * Acceptance: bad input. A source that is not btrfs, is truncated, has a bad superblock checksum or an unreadable
 * tree root, or a target that cannot be created: exit status 1, exactly one {@code ERROR:} line naming what and
 * where, no stack trace, no target file and nothing else left next to it. Our tool runs as a child JVM, as a user
 * runs it. Where the input is a damaged filesystem, the reference btrfs-image is checked to refuse it too, so that
 * each case really is damaged. And a DUP filesystem with only one bad copy of the root tree block is still dumped,
 * byte-identically to the reference (mirror fallback).
 */
class BadInputTest {
    private static final int NODESIZE = 16384;
    private static final long FS_SIZE = 256L << 20;

    @TempDir
    static Path shared;
    /** 256 MiB, nodesize 16k, metadata DUP (the mkfs default). */
    static Path dupImage;
    /** 256 MiB, nodesize 16k, metadata single. */
    static Path singleImage;

    @BeforeAll
    static void makeImages() {
        RefTool.assumeAvailable();
        assumeTrue(Proc.onPath("btrfs-map-logical"), "btrfs-map-logical not found on PATH");
        dupImage = Mkfs.image(shared.resolve("dup.img")).size(FS_SIZE).nodesize(NODESIZE).metadata("dup").run();
        singleImage = Mkfs.image(shared.resolve("single.img")).size(FS_SIZE).nodesize(NODESIZE).metadata("single")
                .run();
    }

    // ------------------------------------------------------------------ not btrfs, missing, wrong kind

    @Test
    void randomBytes(@TempDir Path dir) throws IOException {
        Path src = dir.resolve("random.bin");
        byte[] b = new byte[1 << 20];
        new SplittableRandom(1).nextBytes(b);
        Files.write(src, b);
        assertRefuses(src, dir);
        assertRejected(src, dir, src.toString(), "not a btrfs");
    }

    @Test
    void emptyFile(@TempDir Path dir) throws IOException {
        Path src = Files.createFile(dir.resolve("empty.img"));
        assertRefuses(src, dir);
        assertRejected(src, dir, src.toString(), "not a btrfs", "too short");
    }

    @Test
    void nonexistentSource(@TempDir Path dir) throws IOException {
        Path src = dir.resolve("no-such-file.img");
        assertRejected(src, dir, src.toString(), "no such file");
    }

    @Test
    void sourceIsADirectory(@TempDir Path dir) throws IOException {
        Path src = Files.createDirectory(dir.resolve("a-directory"));
        assertRejected(src, dir, src.toString(), "directory");
    }

    /** Operands swapped or -r forgotten: the error says what the file is and what to run instead. */
    @Test
    void anImageGivenToADumpAndAFilesystemToARestore(@TempDir Path dir) throws IOException {
        Path image = dir.resolve("dup.metadump");
        RefTool.dump(singleImage, image).requireOk();
        assertRejected(image, dir, image + ": not a btrfs filesystem (no superblock magic at offset 65536); it is a"
                + " metadump image: restore it with -r", "restore it with -r");

        Path restored = dir.resolve("restored.img");
        Proc.Result r = Ours.process("--no-progress", "-r", singleImage.toString(), restored.toString());
        assertEquals("ERROR: " + singleImage + ": unrecognized header format at offset 0; it is a btrfs filesystem,"
                + " not a metadump image: dump it without -r", assertOneErrorLine(r));
        assertFalse(Files.exists(restored));
    }

    // ------------------------------------------------------------------ truncated

    /** 70 KiB: the superblock is readable, the chunk tree (at several MiB) is beyond the end. */
    @Test
    void truncatedBeforeChunkTree(@TempDir Path dir) throws IOException {
        Map<String, String> sb = RefTool.superFields(dupImage);
        long cut = 70 * 1024;
        for (long p : RefTool.physicalCopies(dupImage, Long.parseLong(sb.get("chunk_root")))) {
            assertTrue(p >= cut, "chunk root copy at " + p + " is not cut off");
        }
        Path src = truncatedCopy(dupImage, dir.resolve("trunc-70k.img"), cut);
        assertRefuses(src, dir);
        assertRejected(src, dir, src.toString(), "chunk tree", "truncated");
    }

    /**
     * Both copies of the chunk root are present, both copies of the root tree block are beyond the end: the chunk
     * map can be built but the tree root cannot be read.
     */
    @Test
    void truncatedAfterChunkTreeBeforeRootTree(@TempDir Path dir) throws IOException {
        Map<String, String> sb = RefTool.superFields(dupImage);
        long chunkEnd = RefTool.physicalCopies(dupImage, Long.parseLong(sb.get("chunk_root"))).stream()
                .mapToLong(p -> p + NODESIZE).max().orElseThrow();
        List<Long> rootCopies = RefTool.physicalCopies(dupImage, Long.parseLong(sb.get("root")));
        assertEquals(2, rootCopies.size(), "DUP root tree block: " + rootCopies);
        long cut = rootCopies.stream().mapToLong(Long::longValue).min().orElseThrow();
        assertTrue(chunkEnd <= cut, "chunk tree (ends at " + chunkEnd + ") lies after the root tree (" + cut + ")");
        assertTrue(cut < FS_SIZE / 2, "cut at " + cut);
        Path src = truncatedCopy(dupImage, dir.resolve("trunc-before-root.img"), cut);
        assertRefuses(src, dir);
        assertRejected(src, dir, sb.get("root"), "truncated", "ends before");
    }

    /**
     * Metadata single: cut right after the root tree block, so the superblock, chunk tree and root tree are
     * readable and the extent tree root (the next block mkfs allocated) is beyond the end.
     */
    @Test
    void truncatedAfterRootTree(@TempDir Path dir) throws IOException {
        Map<String, String> sb = RefTool.superFields(singleImage);
        long chunkRoot = only(RefTool.physicalCopies(singleImage, Long.parseLong(sb.get("chunk_root"))));
        long root = only(RefTool.physicalCopies(singleImage, Long.parseLong(sb.get("root"))));
        long extentRootLogical = RefTool.rootOf(singleImage, "EXTENT_TREE");
        long extentRoot = only(RefTool.physicalCopies(singleImage, extentRootLogical));
        long cut = root + NODESIZE;
        assertTrue(chunkRoot + NODESIZE <= cut && extentRoot >= cut,
                "layout: chunk root " + chunkRoot + ", root " + root + ", extent root " + extentRoot);
        Path src = truncatedCopy(singleImage, dir.resolve("trunc-after-root.img"), cut);
        assertRefuses(src, dir);
        assertRejected(src, dir, src.toString(), "truncated", "ends before");
    }

    // ------------------------------------------------------------------ corrupted

    @Test
    void badSuperblockChecksum(@TempDir Path dir) throws IOException {
        Path src = SparseFiles.copy(dupImage, dir.resolve("bad-sb-csum.img"));
        try (RandomAccessFile f = new RandomAccessFile(src.toFile(), "rw")) {
            long at = 65536 + 100;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0xff);
        }
        assertRefuses(src, dir);
        assertRejected(src, dir, src.toString(), "checksum");
    }

    @Test
    void unreadableTreeRootSingle(@TempDir Path dir) throws IOException {
        Path src = SparseFiles.copy(singleImage, dir.resolve("bad-root-single.img"));
        String root = RefTool.superFields(src).get("root");
        List<Long> copies = RefTool.physicalCopies(src, Long.parseLong(root));
        assertEquals(1, copies.size(), "metadata single: " + copies);
        overwrite(src, copies, 11);
        assertRefuses(src, dir);
        assertRejected(src, dir, root, "checksum", "unable to read");
    }

    @Test
    void unreadableTreeRootDupBothCopies(@TempDir Path dir) throws IOException {
        Path src = SparseFiles.copy(dupImage, dir.resolve("bad-root-dup.img"));
        String root = RefTool.superFields(src).get("root");
        List<Long> copies = RefTool.physicalCopies(src, Long.parseLong(root));
        assertEquals(2, copies.size(), "metadata DUP: " + copies);
        overwrite(src, copies, 12);
        assertRefuses(src, dir);
        assertRejected(src, dir, root, "checksum", "unable to read");
    }

    /** A block only the executors read (the fs tree root; planning reads the extent tree): the task failure is one line too. */
    @Test
    void unreadableBlockFoundByAnExecutor(@TempDir Path dir) throws IOException {
        Path src = SparseFiles.copy(singleImage, dir.resolve("bad-fs-tree.img"));
        String fsRoot = Long.toString(RefTool.rootOf(src, "FS_TREE"));
        overwrite(src, List.of(only(RefTool.physicalCopies(src, Long.parseLong(fsRoot)))), 13);
        assertRefuses(src, dir);
        assertRejected(src, dir, fsRoot, "checksum", "unable to read");
    }

    /** Only the first copy of the DUP root tree block is garbage: the second one is used, as the reference does. */
    @Test
    void dupOneBadCopyFallsBackToTheMirror(@TempDir Path dir) throws IOException {
        Path src = SparseFiles.copy(dupImage, dir.resolve("one-bad-copy.img"));
        String root = RefTool.superFields(src).get("root");
        List<Long> copies = RefTool.physicalCopies(src, Long.parseLong(root));
        assertEquals(2, copies.size(), "metadata DUP: " + copies);
        overwrite(src, copies.subList(0, 1), 13);

        Path ref = dir.resolve("ref.img");
        RefTool.dump(src, ref).requireOk();
        Path out = Files.createDirectory(dir.resolve("out"));
        Path ours = out.resolve("ours.img");
        Proc.Result r = Ours.process("--no-progress", src.toString(), ours.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertNoStackTrace(r);
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(ours), "image differs from the reference's");
        assertEquals(new TreeSet<>(List.of("ours.img")), list(out), "left next to the target");
    }

    // ------------------------------------------------------------------ target

    @Test
    void targetDirectoryDoesNotExist(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("no-such-dir");
        Path target = missing.resolve("out.img");
        TreeSet<String> before = list(dir);
        Proc.Result r = Ours.process("--no-progress", dupImage.toString(), target.toString());
        String line = assertOneErrorLine(r);
        System.out.println("missing target directory -> " + line);
        assertTrue(line.contains("unable to create target file " + target), line);
        assertFalse(Files.exists(missing), "target directory was created");
        assertEquals(before, list(dir), "left in " + dir);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Runs our tool on {@code src} with a target in a fresh directory under {@code dir}, and checks the failure:
     * one ERROR line containing {@code where} and at least one of {@code problem} (case-insensitive), no stack
     * trace, no target, nothing new in the target's directory.
     */
    private static void assertRejected(Path src, Path dir, String where, String... problem) throws IOException {
        Path out = Files.createDirectories(dir.resolve("ours-out"));
        Files.writeString(out.resolve("unrelated.txt"), "already there\n");
        Path target = out.resolve("dump.img");
        TreeSet<String> before = list(out);
        Proc.Result r = Ours.process("--no-progress", src.toString(), target.toString());
        String line = assertOneErrorLine(r);
        System.out.println(src.getFileName() + " -> " + line);
        assertTrue(line.contains(where), "does not name " + where + ": " + line);
        String lower = line.toLowerCase(Locale.ROOT);
        assertTrue(Stream.of(problem).anyMatch(p -> lower.contains(p.toLowerCase(Locale.ROOT))),
                "names none of " + List.of(problem) + ": " + line);
        assertFalse(Files.exists(target), "target exists after failure");
        assertEquals(before, list(out), "left next to the target");
    }

    /** One error line (see {@link ErrorLines}) and nothing on stdout. */
    private static String assertOneErrorLine(Proc.Result r) {
        String line = ErrorLines.assertOneErrorLine(r);
        assertEquals("", r.stdout(), r.describe());
        return line;
    }

    private static void assertNoStackTrace(Proc.Result r) {
        ErrorLines.assertNoStackTrace(r);
    }

    /** The reference refuses the source too (so the damage is real) and leaves no target. */
    private static void assertRefuses(Path src, Path dir) {
        Path ref = dir.resolve("ref-out.img");
        Proc.Result r = RefTool.dump(src, ref);
        assertNotEquals(0, r.exitCode(), "the reference accepts it: " + r.describe());
        assertFalse(Files.exists(ref), "the reference left " + ref);
    }

    private static TreeSet<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    private static Path truncatedCopy(Path from, Path to, long size) throws IOException {
        SparseFiles.copy(from, to);
        try (RandomAccessFile f = new RandomAccessFile(to.toFile(), "rw")) {
            f.setLength(size);
        }
        return to;
    }

    /** Overwrites nodesize bytes at each physical offset with (seeded) random garbage. */
    private static void overwrite(Path img, List<Long> physical, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            for (long p : physical) {
                byte[] garbage = new byte[NODESIZE];
                rnd.nextBytes(garbage);
                f.seek(p);
                f.write(garbage);
            }
        }
    }

    private static long only(List<Long> copies) {
        assertEquals(1, copies.size(), "expected a single copy: " + copies);
        return copies.get(0);
    }
}
