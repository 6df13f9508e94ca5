package io.sparkbtrfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -r -o} (old restore) and {@code -r -m} (multi-device restore) are deliberately not implemented yet:
 * exit 1 with one clear "not implemented" line, and no target is created. (The reference's {@code -o} always
 * exits 1 and its {@code -m} always fails too: its bugs 13 and 11.)
 */
class RestoreNotImplementedTest {
    @Test
    void oldRestore(@TempDir Path dir) throws IOException {
        Path image = Files.write(dir.resolve("image.img"), new byte[4096]);
        Path target = dir.resolve("target.img");
        String line = oneErrorLine(run("-r", "-o", image.toString(), target.toString()));
        assertTrue(line.contains("-o"), line);
        assertFalse(Files.exists(target), "target created");
    }

    @Test
    void multiDeviceRestore(@TempDir Path dir) throws IOException {
        Path image = Files.write(dir.resolve("image.img"), new byte[4096]);
        Path t1 = dir.resolve("t1.img");
        Path t2 = dir.resolve("t2.img");
        String line = oneErrorLine(run("-r", "-m", image.toString(), t1.toString(), t2.toString()));
        assertTrue(line.contains("-m"), line);
        assertFalse(Files.exists(t1) || Files.exists(t2), "target created");
        // -m alone already selects restore, as in the reference
        line = oneErrorLine(run("-m", image.toString(), t1.toString(), t2.toString()));
        assertTrue(line.contains("-m"), line);
    }

    private record Result(int status, String stderr) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status;
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
                PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, o, e);
        }
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        return new Result(status, err.toString(StandardCharsets.UTF_8));
    }

    private static String oneErrorLine(Result r) {
        assertEquals(1, r.status(), r.stderr());
        List<String> lines = r.stderr().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), r.stderr());
        String line = lines.get(0);
        assertTrue(line.startsWith("ERROR: "), line);
        assertTrue(line.toLowerCase(Locale.ROOT).contains("not implemented"), line);
        return line;
    }
}
