package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.SparseFiles;

/**
 * Restore acceptance 1: every reference image of the shared corpus ({@code ../shared/corpus/metadumps}, 67
 * images from btrfs-progs' tests) restores with exit 0, and the target has the size and the bytes of the
 * reference {@code btrfs-image -r} output (compared over the data ranges of both sparse targets, up to 3 TB),
 * except the backup superblocks, which we write where they fit and the reference never writes into a regular
 * file (its bug 20); those must be valid copies of our primary superblock. Needs python3 (SEEK_DATA).
 */
class RestoreCorpusTest {
    static final Path CORPUS = Path.of(System.getProperty("sbtrfs.metadumps",
            Files.isDirectory(Path.of("../shared/corpus/metadumps")) ? "../shared/corpus/metadumps"
                    : "/work/shared/corpus/metadumps"));
    private static final String ABSENT = "(corpus absent)";

    static Stream<String> images() throws IOException {
        if (!Files.isDirectory(CORPUS)) {
            return Stream.of(ABSENT);
        }
        try (Stream<Path> s = Files.list(CORPUS)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".img")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void sameTargetAsReference(String name, @TempDir Path dir) throws IOException {
        assumeTrue(!ABSENT.equals(name), "metadump corpus not found at " + CORPUS.toAbsolutePath());
        RefTool.assumeAvailable();
        SparseFiles.assumeAvailable();
        Path image = CORPUS.resolve(name);
        Path ref = dir.resolve("ref.target");
        Path ours = dir.resolve("ours.target");
        try {
            Proc.Result theirs = RestoredTargets.referenceRestore(image, ref);
            assertEquals(0, theirs.exitCode(), "reference restore: " + theirs.describe());
            Ours.Run mine = RestoredTargets.ourRestore(image, ours);
            assertEquals(0, mine.status(), name + ": our restore: " + mine.stderr());
            RestoredTargets.assertSameBytes(ref, ours, name);
            RestoredTargets.assertOurMirrors(ours, name);
            byte[] sb = SparseFiles.read(ours, RestoredTargets.PRIMARY, RestoredTargets.SUPER);
            assertEquals(0, RestoredTargets.csumType(sb), name + ": corpus images are crc32c");
        } finally {
            SparseFiles.delete(ref);
            SparseFiles.delete(ours);
        }
    }
}
