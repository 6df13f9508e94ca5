package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Filesystems from btrfs-progs' test suite (the shared corpus, when present) that once tripped us up: a
 * leaf crossing a 64 KiB boundary of a single chunk, and a chunk tree whose damaged item repeats a
 * sys_chunk_array chunk with another length (the first mapping wins, as in btrfs). Our image is the
 * reference's, byte for byte, wherever the reference's image restores.
 */
class CorpusRegressionTest {
    static final Path CORPUS = Path.of(System.getProperty("sbtrfs.corpus",
            Files.isDirectory(Path.of("../shared/corpus/raw")) ? "../shared/corpus/raw" : "/work/shared/corpus/raw"));

    /**
     * A fuzzed filesystem whose extent tree lists none of the trees the superblock names, and whose system
     * chunk (superblock's sys_chunk_array) is fuzzed to span most of the address space, over every other
     * chunk. The reference's default dump holds the superblock alone and exits 0 with an image that it
     * cannot restore ("cannot read chunk root"). Ours walks the unlisted trees, finds their blocks inside
     * the system chunk (which any restore reads as chunk-tree blocks) and refuses; with best effort it
     * holds the reference's items, then the blocks of the walked trees, and warns that it will not restore.
     */
    private static final String EXTENT_TREE_LISTS_NO_ROOT = "fuzz-tests_images_bko-199833-reloc-recovery-crash";

    private static void assertReferenceThenUnlistedTrees(Path ref, Path ours, Path raw) throws Exception {
        java.util.List<Long> theirs = ChecksumTypesTest.bytenrs(ref);
        java.util.List<Long> mine = ChecksumTypesTest.bytenrs(ours);
        java.util.List<byte[]> theirContents = ChecksumTypesTest.contents(ref);
        java.util.List<byte[]> myContents = ChecksumTypesTest.contents(ours);
        assertTrue(mine.size() > theirs.size(), "ours adds the unlisted trees: " + mine);
        for (int i = 0; i < theirs.size(); i++) {
            assertEquals(theirs.get(i), mine.get(i), "item " + i);
            assertArrayEquals(theirContents.get(i), myContents.get(i), "item " + i);
        }
        java.util.Map<String, String> sb = RefTool.superFields(raw);
        assertTrue(mine.contains(Long.parseLong(sb.get("root"))), "root tree root " + sb.get("root") + " in " + mine);
        assertTrue(mine.contains(Long.parseLong(sb.get("chunk_root"))), "chunk root in " + mine);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fsck-tests_018-leaf-crossing-stripes_default_case",
        "fuzz-tests_images_bko-199833-reloc-recovery-crash", "fsck-tests_020-extent-ref-cases_shared_block_ref_only"})
    void identicalToReference(String name, @TempDir Path dir) throws Exception {
        RefTool.assumeAvailable();
        Path xz = CORPUS.resolve(name + ".raw.xz");
        assumeTrue(Files.isRegularFile(xz), "corpus not available: " + xz);
        Path raw = dir.resolve(name + ".raw");
        Proc.run(List.of("sh", "-c", "xz -dc \"$0\" | cp --sparse=always /dev/stdin \"$1\"", xz.toString(),
                raw.toString()), Proc.DEFAULT_TIMEOUT).requireOk();
        for (String[] opts : new String[][] {{"-c", "0"}, {"-w", "-c", "9"}}) {
            Path ref = dir.resolve("ref.img");
            Path ours = dir.resolve("ours.img");
            Proc.Result theirs = RefTool.dump(raw, ref, opts);
            Ours.Run mine = Ours.dump(raw, ours, opts);
            if (!theirs.ok()) {
                // The reference crashes on some of these (bko-199833 -w: SIGSEGV); we must end cleanly.
                assertTrue(mine.status() == 0 || mine.stderr().startsWith("ERROR: "), mine.stderr());
                continue;
            }
            if (name.equals(EXTENT_TREE_LISTS_NO_ROOT) && opts[0].equals("-c")) {
                assertNotEquals(0, RefTool.restore(ref, dir.resolve("ref.target")).exitCode());
                assertEquals(1, mine.status(), mine.stderr());
                assertTrue(mine.stderr().matches("(?s).*ERROR: metadata block [0-9]+ of tree [0-9]+ lies in a system "
                        + "chunk: a restore reads every block of a system chunk as part of the chunk tree, so the image "
                        + "would not restore; the chunk map is damaged \\(dump with --best-effort to keep the block "
                        + "anyway\\)\n"), mine.stderr());
                assertFalse(Files.exists(ours));
                Ours.Run best = Ours.dump(raw, ours, "--best-effort", "-c", "0");
                assertEquals(0, best.status(), best.stderr());
                assertTrue(best.stderr().contains("lies in a system chunk: a restore reads every block of a system "
                        + "chunk as part of the chunk tree — dumped as read: the image will not restore"), best.stderr());
                assertReferenceThenUnlistedTrees(ref, ours, raw);
                continue;
            }
            mine.requireOk();
            assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(ours), name + " " + String.join(" ", opts));
        }
    }
}
