package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.cli.Main;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Both image versions and both compress flags restore: a v1 image ({@code _DUmP_v1}, written only by
 * experimental reference builds) is made here by re-labelling the clusters of a v0 image, which differ
 * in nothing else; it restores without the METADUMP_V2 flag, as the reference's experimental builds do.
 */
class ImageVersionsTest {

    @Test
    void v0AndV1RawAndCompressedAllRestoreAndCheck(@TempDir Path dir) throws IOException {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(3).fileCount(2500).generate(dir.resolve("tree"));
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).nodesize(4096).rootdir(dir.resolve("tree")).run();
        for (String level : new String[] {"0", "9"}) {
            Path v0 = dir.resolve("v0-" + level + ".img");
            Ours.dump(fs, v0, "-w", "-c", level).requireOk();
            Path v1 = relabel(v0, dir.resolve("v1-" + level + ".img"));
            for (Path img : new Path[] {v0, v1}) {
                Path target = dir.resolve("restored.img");
                assertEquals(0, Main.run(new String[] {"-r", img.toString(), target.toString()}, System.out, System.err));
                assertEquals(0, RefTool.check(target).exitCode(), img + ": " + RefTool.check(target).output());
                long flags = Long.decode(RefTool.superFields(target).get("flags").split(" ")[0]);
                assertEquals(img == v0 ? 1L << 34 : 0, flags & (1L << 34), img + " flags 0x" + Long.toHexString(flags));
                Files.delete(target);
            }
        }
    }

    /** Rewrites the magic of every cluster; returns {@code out}. */
    private static Path relabel(Path v0, Path out) throws IOException {
        byte[] b = Files.readAllBytes(v0);
        long offset = 0;
        while (offset + MetadumpFormat.INDEX_SIZE <= b.length) {
            int o = (int) offset;
            LittleEndian.put64(b, o, MetadumpFormat.MAGIC_V1);
            long n = LittleEndian.u32(b, o + 16);
            long end = offset + MetadumpFormat.INDEX_SIZE;
            for (int i = 0; i < n; i++) {
                end += LittleEndian.u32(b, o + MetadumpFormat.HEADER_SIZE + MetadumpFormat.ENTRY_SIZE * i + 8);
            }
            offset = MetadumpFormat.alignUp(end);
        }
        assertEquals(b.length, offset, "walked to the end");
        Files.write(out, b);
        return out;
    }
}
