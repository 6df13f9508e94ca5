package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Acceptance 1 and 2 of the dump: for mkfs --rootdir filesystems of every nodesize and metadata
 * profile, our image is byte-identical to the reference's with -c 0, -c 9 and -w, and the reference
 * restores it into a filesystem that btrfs check accepts. Both runners (in-process and Spark) write those bytes.
 */
class ReferenceIdentityTest {
    @TempDir
    static Path shared;
    static Path tree;

    @BeforeAll
    static void generate() throws IOException {
        RefTool.assumeAvailable();
        tree = shared.resolve("tree");
        TreeGenerator.withSeed(20261124).fileCount(6000).bigDirFiles(1500).generate(tree);
    }

    record Layout(String name, Consumer<Mkfs> options, int minFsTreeLevel) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> layouts() {
        List<Layout> layouts = List.of(
                new Layout("4k-single", m -> m.nodesize(4096).metadata("single"), 2),
                new Layout("16k-dup", m -> m.nodesize(16384).metadata("dup"), 1),
                new Layout("16k-single", m -> m.nodesize(16384).metadata("single"), 1),
                new Layout("64k-dup", m -> m.nodesize(65536).metadata("dup"), 1),
                new Layout("4k-mixed", m -> m.nodesize(4096).sectorsize(4096).mixed(true), 2));
        List<Arguments> args = new ArrayList<>();
        for (Layout l : layouts) {
            args.add(Arguments.of(l));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void identicalToReferenceAndRestorable(Layout layout, @TempDir Path dir) throws IOException {
        Path fs = dir.resolve("fs.img");
        Mkfs mkfs = Mkfs.image(fs).size(512L << 20).rootdir(tree);
        layout.options().accept(mkfs);
        mkfs.run();
        int level = RefTool.maxLevel(RefTool.dumpTree(fs, "-t", "5").requireOk().stdout());
        assertTrue(level >= layout.minFsTreeLevel(), "fs tree has only level " + level);

        for (String[] opts : new String[][] {{"-c", "0"}, {"-c", "9"}, {"-w"}}) {
            String tag = String.join("", opts);
            Path ref = dir.resolve("ref" + tag + ".img");
            Path ours = dir.resolve("ours" + tag + ".img");
            RefTool.dump(fs, ref, opts).requireOk();
            Ours.dump(fs, ours, opts).requireOk();
            byte[] expected = Files.readAllBytes(ref);
            assertArrayEquals(expected, Files.readAllBytes(ours), layout + " " + tag + ": image differs");
            // The same bytes from the other runner (the default here is in-process).
            Path onSpark = dir.resolve("spark" + tag + ".img");
            String[] withSpark = java.util.stream.Stream.concat(Stream.of("--runner", "spark"), Stream.of(opts))
                    .toArray(String[]::new);
            Ours.dump(fs, onSpark, withSpark).requireOk();
            assertArrayEquals(expected, Files.readAllBytes(onSpark), layout + " " + tag + ": Spark image differs");
            Files.delete(onSpark);

            Path restored = dir.resolve("restored" + tag + ".img");
            RefTool.restore(ours, restored).requireOk();
            Proc.Result check = RefTool.check(restored);
            assertEquals(0, check.exitCode(), layout + " " + tag + ": btrfs check failed:\n" + check.output());
            Files.delete(restored);
            Files.delete(ref);
        }
    }
}
