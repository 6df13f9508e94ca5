package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.cli.Main;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * {@code --compress zstd}: our own image flavour. It restores with our restore into a filesystem that
 * checks clean and equals the restore of the zlib image, is no larger than {@code -c 1}, and the reference
 * rejects it cleanly (unknown magic) instead of restoring garbage.
 */
class ZstdImageTest {

    @Test
    void zstdImagesRestoreWithOursAndAreRejectedByTheReference(@TempDir Path dir) throws IOException {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(31).fileCount(3000).generate(dir.resolve("tree"));
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).nodesize(16384).rootdir(dir.resolve("tree")).run();
        Path zstd = dir.resolve("zstd.img");
        Path zlib = dir.resolve("zlib.img");
        Ours.dump(fs, zstd, "--compress", "zstd").requireOk();
        Ours.dump(fs, zlib, "-c", "1").requireOk();
        assertTrue(Files.size(zstd) <= Files.size(zlib), Files.size(zstd) + " > " + Files.size(zlib));
        assertEquals(0, Main.run(new String[] {"verify", zstd.toString()}, System.out, System.err));

        Path fromZstd = dir.resolve("from-zstd.img");
        Path fromZlib = dir.resolve("from-zlib.img");
        assertEquals(0, Main.run(new String[] {"-r", zstd.toString(), fromZstd.toString()}, System.out, System.err));
        assertEquals(0, Main.run(new String[] {"-r", zlib.toString(), fromZlib.toString()}, System.out, System.err));
        assertEquals(0, RefTool.check(fromZstd).exitCode());
        assertEquals(Files.size(fromZlib), Files.size(fromZstd));
        assertEquals(0, Proc.run("cmp", fromZlib.toString(), fromZstd.toString()).exitCode(), "restores differ");

        Proc.Result ref = RefTool.restore(zstd, dir.resolve("ref.img"));
        assertNotEquals(0, ref.exitCode());
        assertTrue(ref.output().contains("unrecognized header format"), ref.output());
    }
}
