package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.sparkbtrfs.cli.Main;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Issue 7 acceptance 1: every fuzzed or corrupted filesystem of btrfs-progs' test suite (the shared
 * corpus): a strict dump ends within 60 s with exit 0 or 1, one clear line on failure, no Java stack
 * trace anywhere on stderr, no target left behind; with {@code --best-effort}, every filesystem the
 * reference can dump yields an image that the reference restores.
 */
class RawCorpusTest {

    static Stream<String> images() throws IOException {
        Path dir = CorpusRegressionTest.CORPUS;
        if (!Files.isDirectory(dir)) {
            return Stream.of("(corpus not available)");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".raw.xz")).sorted().toList().stream();
        }
    }

    record Run(int status, String err) {
    }

    /** Our tool in this JVM, with everything written to System.err (Spark's logging too) captured. */
    static Run run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int status;
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(e);
            status = Main.run(args, System.out, e);
        } finally {
            System.setErr(saved);
        }
        return new Run(status, err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @MethodSource("images")
    void dumpsOrFailsCleanly(String name, @TempDir Path dir) {
        RefTool.assumeAvailable();
        Path xz = CorpusRegressionTest.CORPUS.resolve(name);
        assumeTrue(Files.isRegularFile(xz), "corpus not available");
        Path raw = dir.resolve("fs.raw");
        Proc.run(List.of("sh", "-c", "xz -dc \"$0\" | cp --sparse=always /dev/stdin \"$1\"", xz.toString(),
                raw.toString()), Proc.DEFAULT_TIMEOUT).requireOk();
        Path target = dir.resolve("out").resolve("image");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Files.createDirectories(target.getParent());
            Run strict = run("--no-progress", raw.toString(), target.toString());
            assertTrue(strict.status() == 0 || strict.status() == 1, "exit " + strict.status());
            assertFalse(strict.err().contains("\tat ") || strict.err().contains("Exception"), strict.err());
            if (strict.status() == 1) {
                List<String> errors = strict.err().lines().filter(l -> !l.startsWith("WARNING:") && !l.isBlank()).toList();
                assertEquals(1, errors.size(), strict.err());
                assertTrue(errors.get(0).startsWith("ERROR: "), strict.err());
                try (Stream<Path> left = Files.list(target.getParent())) {
                    assertEquals(0, left.count(), "left behind after a failed dump");
                }
            }
        });
        Path ref = dir.resolve("ref.img");
        if (!RefTool.dump(raw, ref).ok()) {
            return; // the reference cannot open it at all
        }
        Path best = dir.resolve("best.img");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Run r = run("--no-progress", "--best-effort", raw.toString(), best.toString());
            assertEquals(0, r.status(), r.err());
            assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.err());
        });
        Proc.Result restore = RefTool.restore(best, dir.resolve("restored.img"));
        // The reference's restore ends by opening the result; where even its own dump of this filesystem
        // does not restore, ours is not expected to.
        if (!restore.ok()) {
            Proc.Result own = RefTool.restore(ref, dir.resolve("ref-restored.img"));
            assertFalse(own.ok(), name + ": the reference restores its own dump but not ours:\n" + restore.describe());
        }
    }
}
