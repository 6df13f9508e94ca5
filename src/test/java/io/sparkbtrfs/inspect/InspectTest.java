package io.sparkbtrfs.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.image.ZlibCodec;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Ours.Run;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/** {@code info} and {@code verify} on the corpus and on our images; verify catches any flipped payload byte. */
class InspectTest {
    @TempDir
    static Path shared;
    static Path raw;
    static Path zlib;
    static Path fs;
    static Path sanitized;

    @BeforeAll
    static void images() throws IOException {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(11).fileCount(1500).generate(shared.resolve("tree"));
        fs = Mkfs.image(shared.resolve("fs.img")).size(256L << 20).nodesize(4096).rootdir(shared.resolve("tree"))
                .run();
        raw = shared.resolve("raw.img");
        zlib = shared.resolve("zlib.img");
        Ours.dump(fs, raw, "-w", "-c", "0").requireOk();
        Ours.dump(fs, zlib, "-w", "-c", "9").requireOk();
        sanitized = shared.resolve("sanitized.img");
        Ours.dump(fs, sanitized, "-s", "--seed", "1").requireOk();
    }

    @Test
    void verifyAgainstTheSource() {
        for (Path img : List.of(raw, zlib)) {
            Run v = run("verify", img.toString(), "--against", fs.toString());
            assertEquals(0, v.status(), v.stdout() + v.stderr());
            assertTrue(v.stdout().contains("matches"), v.stdout());
        }
        Run v = run("verify", sanitized.toString(), "--against", fs.toString());
        assertEquals(1, v.status(), v.stdout());
        assertTrue(v.stdout().contains("differs from the source"), v.stdout());
    }

    static Run run(String... args) {
        return Ours.inJvm(args);
    }

    static List<Path> corpus() throws IOException {
        Path dir = Path.of("../shared/corpus/metadumps");
        if (!Files.isDirectory(dir)) {
            dir = Path.of("/work/shared/corpus/metadumps");
        }
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".img")).sorted().toList();
        }
    }

    @Test
    void corpusImagesVerifyAndDescribeThemselves() throws IOException {
        List<Path> images = corpus();
        for (Path img : images) {
            Run v = run("verify", img.toString());
            assertEquals(0, v.status(), img + ": " + v.stdout() + v.stderr());
            Run info = run("info", "--json", img.toString());
            assertEquals(0, info.status(), img + ": " + info.stderr());
            assertTrue(info.stdout().contains("\"csum_type\":\"crc32c\"") && info.stdout().contains("\"problems\":0"),
                    img + ": " + info.stdout());
        }
    }

    @Test
    void ourImagesVerifyAndInfoNamesTheirTrees() {
        for (Path img : List.of(raw, zlib)) {
            assertEquals(0, run("verify", img.toString()).status());
            Run info = run("info", img.toString());
            assertEquals(0, info.status());
            for (String tree : List.of("root", "extent", "chunk", "dev", "fs", "csum")) {
                assertTrue(info.stdout().contains("  " + tree + " "), tree + " missing in\n" + info.stdout());
            }
        }
    }

    @Test
    void aFlippedByteInAnyPayloadIsFoundAndLocated(@TempDir Path dir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(5);
        for (Path img : List.of(raw, zlib)) {
            byte[] b = Files.readAllBytes(img);
            List<long[]> payloads = payloads(b); // cluster offset, item, payload start, payload length
            for (int trial = 0; trial < 40; trial++) {
                long[] p = payloads.get(1 + rnd.nextInt(payloads.size() - 1)); // not the superblock item
                int at = (int) (p[2] + rnd.nextLong(p[3]));
                byte[] bad = b.clone();
                bad[at] ^= (byte) (1 + rnd.nextInt(255));
                if (img == zlib && inflatesTheSame(b, bad, p)) {
                    continue; // only the padding bits after the last deflate symbol changed: no content changed
                }
                Path badImg = dir.resolve("bad.img");
                Files.write(badImg, bad);
                Run v = run("verify", badImg.toString());
                assertEquals(1, v.status(), img.getFileName() + " byte " + at + ": " + v.stdout());
                String where = "cluster at offset " + p[0] + ", item " + p[1];
                assertTrue(v.stdout().contains(where), "expected '" + where + "' for byte " + at + " in\n" + v.stdout());
            }
        }
    }

    private static boolean inflatesTheSame(byte[] good, byte[] bad, long[] p) {
        int from = (int) p[2];
        int to = (int) (p[2] + p[3]);
        try {
            return Arrays.equals(ZlibCodec.decompress(Arrays.copyOfRange(good, from, to), 1 << 24),
                    ZlibCodec.decompress(Arrays.copyOfRange(bad, from, to), 1 << 24));
        } catch (java.util.zip.DataFormatException e) {
            return false;
        }
    }

    /** Payload positions of every item: {cluster offset, item index, start, length}. */
    private static List<long[]> payloads(byte[] b) {
        List<long[]> out = new ArrayList<>();
        long offset = 0;
        while (offset + MetadumpFormat.INDEX_SIZE <= b.length) {
            int o = (int) offset;
            long n = LittleEndian.u32(b, o + 16);
            long pos = offset + MetadumpFormat.INDEX_SIZE;
            for (int i = 0; i < n; i++) {
                long size = LittleEndian.u32(b, o + MetadumpFormat.HEADER_SIZE + MetadumpFormat.ENTRY_SIZE * i + 8);
                out.add(new long[] {offset, i, pos, size});
                pos += size;
            }
            offset = MetadumpFormat.alignUp(pos);
        }
        return out;
    }
}
