package io.sparkbtrfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;

/**
 * zstd-jni's native library as the launcher has it loaded ({@code -Dspark.btrfs.native.dir}): copied there by
 * the first run, loaded from there by the next, and a copy that cannot be loaded leaves zstd-jni to its own;
 * every run's image is the same as an in-process dump's.
 */
class ZstdLibraryTest {

    @Test
    void cachedLibraryServesLaterRunsAndABrokenOneIsBypassed(@TempDir Path dir) throws Exception {
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(128L << 20).run();
        Path expected = dir.resolve("in-process.img");
        assertEquals(0, Ours.dump(fs, expected, "--compress", "zstd").status());
        byte[] want = Files.readAllBytes(expected);
        Path lib = dir.resolve("native");

        assertArrayEquals(want, childDump(fs, lib, dir.resolve("first.img")), "first run: copies the library");
        List<Path> copied;
        try (var s = Files.list(lib)) {
            copied = s.toList();
        }
        assertEquals(1, copied.size(), "one library, no temporary left: " + copied);
        assertTrue(copied.get(0).getFileName().toString().matches("libzstd-jni-.*\\.so"), copied.toString());
        long size = Files.size(copied.get(0));

        assertArrayEquals(want, childDump(fs, lib, dir.resolve("second.img")), "second run: loads the copy");
        assertEquals(size, Files.size(copied.get(0)), "the copy is not rewritten");

        Files.writeString(copied.get(0), "not a library");
        assertArrayEquals(want, childDump(fs, lib, dir.resolve("third.img")), "a broken copy: zstd-jni's own");
    }

    private static byte[] childDump(Path fs, Path nativeDir, Path out) throws Exception {
        List<String> cmd = new ArrayList<>(Ours.command());
        cmd.add(1, "-Dspark.btrfs.native.dir=" + nativeDir);
        cmd.addAll(List.of("--no-progress", "--compress", "zstd", fs.toString(), out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child dump did not end");
        assertEquals(0, p.exitValue(), "child dump failed");
        return Files.readAllBytes(out);
    }
}
