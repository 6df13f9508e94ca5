package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/** The filesystem, reference image and checks shared by the cluster and fault-injection tests. */
final class FaultFixtures {
    private FaultFixtures() {
    }

    /** A few thousand files, nodesize 4k: several clusters with -w -c 9. */
    static Path filesystem(Path dir) throws IOException {
        Path tree = dir.resolve("tree");
        TreeGenerator.withSeed(505).fileCount(3000).bigDirFiles(600).generate(tree);
        return Mkfs.image(dir.resolve("fs.img")).size(256L << 20).nodesize(4096).rootdir(tree).run();
    }

    /** The reference btrfs-image's {@code -w -c 9} image of {@code fs}. */
    static byte[] reference(Path fs, Path dir) throws IOException {
        Path ref = dir.resolve("ref.img");
        RefTool.dump(fs, ref, "-w", "-c", "9").requireOk();
        return Files.readAllBytes(ref);
    }

    /** {@code -w -c 9} followed by {@code more}. */
    static String[] opts(String... more) {
        List<String> o = new ArrayList<>(List.of("-w", "-c", "9"));
        o.addAll(List.of(more));
        return o.toArray(String[]::new);
    }

    /** {@code dir} holds exactly {@code names}: no staging directory, temporary file or .crc side file. */
    static void assertOnly(Path dir, String... names) throws IOException {
        assertEquals(new TreeSet<>(Set.of(names)), list(dir), "debris next to the image in " + dir);
    }

    static TreeSet<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Staging directories and temporary files of a dump to {@code dir/name}. */
    static List<Path> debris(Path dir, String name) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + name + ".")).toList();
        }
    }

    /** Waits until a dump to {@code dir/name} has committed its first part; fails if it ends or times out first. */
    static void awaitFirstPart(Path dir, String name, BooleanSupplier ended, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            for (Path p : debris(dir, name)) {
                if (Files.isDirectory(p)) {
                    try (Stream<Path> parts = Files.list(p)) {
                        if (parts.anyMatch(f -> f.getFileName().toString().startsWith("part-"))) {
                            return;
                        }
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // the dump just finished or failed
                    }
                }
            }
            if (ended.getAsBoolean()) {
                throw new AssertionError("the dump ended before its first part was seen");
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no part committed within " + timeoutMillis + " ms");
    }
}
