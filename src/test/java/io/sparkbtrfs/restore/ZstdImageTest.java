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
import io.sparkbtrfs.image.ClusterWriter;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.image.ZstdCodec;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * {@code --compress zstd}: our own image flavour, zstd frames over runs of clusters ({@code _SBzst_1}). It
 * restores with our restore into a filesystem that checks clean and equals the restore of the zlib image,
 * is smaller than {@code -c 9}, {@code info} and {@code verify} read it, and the reference rejects it cleanly
 * (unknown magic) instead of restoring garbage. Images of the older flavour (a frame per item,
 * {@code _SBzst_0}) still restore to the same filesystem.
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
        Ours.dump(fs, zlib, "-c", "9").requireOk();
        assertTrue(Files.size(zstd) < Files.size(zlib), Files.size(zstd) + " >= " + Files.size(zlib));
        assertEquals(0, Main.run(new String[] {"verify", zstd.toString()}, System.out, System.err));
        java.io.ByteArrayOutputStream info = new java.io.ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[] {"info", "--json", zstd.toString()}, new java.io.PrintStream(info, true),
                System.err));
        assertTrue(info.toString().contains("\"version\":\"zstd-stream\""), info.toString());
        assertTrue(info.toString().contains("\"problems\":0"), info.toString());

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

        Path old = dir.resolve("zstd-v0.img");
        perItemFlavour(zlib, old);
        assertEquals(0, Main.run(new String[] {"verify", old.toString()}, System.out, System.err));
        Path fromOld = dir.resolve("from-old.img");
        assertEquals(0, Main.run(new String[] {"-r", old.toString(), fromOld.toString()}, System.out, System.err));
        assertEquals(0, Proc.run("cmp", fromZlib.toString(), fromOld.toString()).exitCode(), "restores differ");
    }

    /** Re-encodes an image as the older flavour wrote it: the same clusters, one zstd frame per item. */
    static void perItemFlavour(Path image, Path out) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(image);
                java.io.OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(out));
                com.github.luben.zstd.ZstdCompressCtx ctx = new com.github.luben.zstd.ZstdCompressCtx().setLevel(3)) {
            ImageReader reader = new ImageReader(in, image.toString());
            ClusterWriter writer = new ClusterWriter(o, MetadumpFormat.MAGIC_ZSTD, MetadumpFormat.COMPRESS_ZSTD, 0);
            for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                byte[][] payloads = new byte[c.size()][];
                for (int i = 0; i < c.size(); i++) {
                    payloads[i] = ZstdCodec.compress(c.content(i, 1 << 24), ctx);
                }
                writer.write(c.bytenrs(), payloads, c.size());
            }
        } catch (java.util.zip.DataFormatException | io.sparkbtrfs.image.ImageFormatException e) {
            throw new IOException(e);
        }
    }
}
