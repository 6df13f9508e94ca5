package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.ErrorLines;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Issue 11: {@code verify} and restore refuse an image that lacks a root the filesystem needs to open (here
 * the tree root, cut out of a real {@code -c 9} dump), naming it, and restore leaves no target; an image that
 * also holds a block that fails validation is taken as a {@code --best-effort} dump: restore warns and
 * restores. {@code info} and {@code verify} inflate with restore's limits, in pieces: zlib bombs (v0: 512 MiB
 * of zeros in 0.5 MB; v1: 600 MiB) are rejected by a child JVM limited to 400 MiB of heap within the hang
 * guard, with the exact error. {@code info} on a file that is no image: one ERROR line, nothing on stdout.
 */
class IncompleteImageTest {
    private static final Duration KILL_AFTER = Duration.ofSeconds(60);
    private static final Duration MAX_ELAPSED = Duration.ofSeconds(30);
    private static final int NODESIZE = 16384;

    @TempDir
    static Path shared;
    static byte[] c9;
    static long treeRoot;
    /** Every root block of the filesystem (superblock and ROOT_ITEMs). */
    static final java.util.Set<Long> roots = new java.util.HashSet<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void dump() throws IOException {
        RefTool.assumeAvailable();
        TreeGenerator.withSeed(31).fileCount(1500).generate(shared.resolve("tree"));
        Path fs = Mkfs.image(shared.resolve("fs.img")).size(256L << 20).nodesize(NODESIZE)
                .rootdir(shared.resolve("tree")).run();
        Path image = shared.resolve("c9.img");
        Ours.dump(fs, image, "-c", "9").requireOk();
        c9 = Files.readAllBytes(image);
        treeRoot = Long.parseLong(RefTool.superFields(fs).get("root"));
        roots.add(treeRoot);
        roots.add(Long.parseLong(RefTool.superFields(fs).get("chunk_root")));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(" bytenr (\\d+) byte_limit ")
                .matcher(RefTool.dumpTree(fs, "-t", "root").requireOk().stdout());
        while (m.find()) {
            roots.add(Long.parseLong(m.group(1)));
        }
        assertTrue(roots.size() > 5, "roots: " + roots);
    }

    // ------------------------------------------------------------------ a missing root

    @Test
    void treeRootRemoved() throws IOException {
        Path img = write("no-tree-root.img", without(c9, treeRoot));
        Proc.Result ref = RefTool.restore(img, dir.resolve("ref.target"));
        assertNotEquals(0, ref.exitCode(), "the reference cannot open it either: " + ref.describe());

        Proc.Result v = Ours.process(KILL_AFTER, "verify", img.toString());
        assertEquals(1, v.exitCode(), v.describe());
        assertEquals(img + ": the image lacks the root of the root tree (block " + treeRoot + ")\n", v.stdout());
        assertEquals("ERROR: " + img + ": 1 problem(s) found\n", v.stderr());

        Path out = Files.createDirectories(dir.resolve("out"));
        Proc.Result r = Ours.process(KILL_AFTER, "-r", img.toString(), out.resolve("target").toString());
        assertEquals("ERROR: " + img + ": the image lacks the root of the root tree (block " + treeRoot + "), so the "
                + "filesystem would not open (was the source written to during the dump?)", ErrorLines.assertOneErrorLine(r));
        try (var s = Files.list(out)) {
            assertEquals(List.of(), s.toList(), "left behind by the failed restore");
        }
    }

    /** The same image with one more (non-root) block zeroed, as a best-effort dump of an unreadable block is. */
    @Test
    void bestEffortImageLackingARootRestoresWithAWarning() throws IOException {
        List<List<MetadumpFile.Entry>> entries = MetadumpFile.entries(without(c9, treeRoot));
        List<MetadumpFile.Entry> first = entries.get(0);
        int last = first.size() - 1;
        byte[] content = MetadumpFile.inflate(first.get(last).payload());
        int off = content.length - NODESIZE;
        while (roots.contains(first.get(last).bytenr() + off)) {
            off -= NODESIZE;
        }
        long zeroed = first.get(last).bytenr() + off;
        Arrays.fill(content, off, off + NODESIZE, (byte) 0);
        first.set(last, new MetadumpFile.Entry(first.get(last).bytenr(), MetadumpFile.zlib(content, 9)));
        Path img = write("best-effort-like.img", MetadumpFile.build(MetadumpFile.MAGIC_V0, 1, entries));

        Path target = dir.resolve("target");
        Proc.Result r = Ours.process(KILL_AFTER, "-r", img.toString(), target.toString());
        assertEquals(0, r.exitCode(), r.describe());
        List<String> lines = r.stderr().lines().toList();
        assertEquals(2, lines.size(), r.stderr());
        assertEquals("WARNING: " + img + ": the image lacks the root of the root tree (block " + treeRoot + "); it "
                + "holds blocks that failed validation, as a --best-effort dump of a damaged filesystem does: the "
                + "restored filesystem may not open", lines.get(0));
        assertTrue(lines.get(1).startsWith("restored "), r.stderr());
        assertTrue(Files.size(target) > 0);

        Proc.Result v = Ours.process(KILL_AFTER, "verify", img.toString());
        assertEquals(1, v.exitCode(), v.describe());
        assertTrue(v.stdout().contains(", block " + zeroed + ": "), v.stdout());
        assertTrue(v.stdout().contains(img + ": the image lacks the root of the root tree (block " + treeRoot
                + ") (it holds invalid blocks, as a --best-effort dump of a damaged filesystem does)\n"), v.stdout());
    }

    // ------------------------------------------------------------------ bounded info and verify

    @Test
    void zlibBombV0() throws IOException {
        bomb(MetadumpFile.MAGIC_V0, 512L << 20, 524288);
    }

    @Test
    void zlibBombV1() throws IOException {
        bomb(0x31765f506d55445fL, 600L << 20, 536870912);
    }

    /** The last item of the first cluster replaced by zlib of {@code zeros} zero bytes; {@code limit}: the item limit. */
    private void bomb(long magic, long zeros, int limit) throws IOException {
        List<List<MetadumpFile.Entry>> entries = MetadumpFile.entries(c9);
        List<MetadumpFile.Entry> first = entries.get(0);
        int item = first.size() - 1;
        long bytenr = first.get(item).bytenr();
        byte[] payload = zlibOfZeros(zeros);
        assertTrue(payload.length < 1 << 20, "bomb of " + payload.length + " bytes");
        first.set(item, new MetadumpFile.Entry(bytenr, payload));
        Path img = write("bomb.img", MetadumpFile.build(magic, 1, entries));
        String problem = "cluster at offset 0, item " + item + ", block " + bytenr + ": payload inflates past " + limit
                + " bytes";

        Proc.Result info = smallHeap("info", img.toString());
        assertEquals("ERROR: " + img + ": " + problem, ErrorLines.assertOneErrorLine(info));
        assertEquals("", info.stdout());

        Proc.Result verify = smallHeap("verify", img.toString());
        assertEquals(1, verify.exitCode(), verify.describe());
        assertEquals(problem + "\n", verify.stdout());
        assertEquals("ERROR: " + img + ": 1 problem(s) found\n", verify.stderr());
    }

    /** Our tool in a child JVM with 400 MiB of heap (the OutOfMemoryError), within the hang guard. */
    private static Proc.Result smallHeap(String... args) {
        List<String> cmd = Ours.command();
        cmd.add(1, "-Xmx400m");
        cmd.addAll(List.of(args));
        Proc.Result r = Proc.run(cmd, KILL_AFTER);
        assertFalse(r.timedOut(), r.describe());
        assertTrue(r.elapsed().compareTo(MAX_ELAPSED) < 0, "took " + r.elapsed());
        ErrorLines.assertNoStackTrace(r);
        return r;
    }

    /** zlib level 9 of {@code n} zero bytes, fed in pieces (the content is never held). */
    private static byte[] zlibOfZeros(long n) {
        Deflater d = new Deflater(9);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeros = new byte[1 << 20];
        byte[] buf = new byte[1 << 16];
        try {
            for (long left = n; left > 0; left -= zeros.length) {
                d.setInput(zeros, 0, (int) Math.min(zeros.length, left));
                while (!d.needsInput()) {
                    out.write(buf, 0, d.deflate(buf));
                }
            }
            d.finish();
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    @Test
    void infoOnAFileThatIsNoImage() throws IOException {
        Path text = write("passwd", "root:x:0:0:root:/root:/bin/bash\n".repeat(40).getBytes(StandardCharsets.UTF_8));
        for (String command : List.of("info", "verify")) {
            Proc.Result r = Ours.process(KILL_AFTER, command, text.toString());
            assertEquals("ERROR: " + text + ": unrecognized header format at offset 0", ErrorLines.assertOneErrorLine(r));
            assertEquals("", r.stdout());
        }
        Path passwd = Path.of("/etc/passwd");
        if (Files.isRegularFile(passwd)) {
            Proc.Result r = Ours.process(KILL_AFTER, "info", passwd.toString());
            assertTrue(ErrorLines.assertOneErrorLine(r).startsWith("ERROR: /etc/passwd: "), r.describe());
            assertEquals("", r.stdout());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** {@code image} (zlib, v0) without the tree block at {@code logical}: the item holding it is split around it. */
    static byte[] without(byte[] image, long logical) {
        List<List<MetadumpFile.Entry>> out = new ArrayList<>();
        boolean found = false;
        for (List<MetadumpFile.Entry> cluster : MetadumpFile.entries(image)) {
            List<MetadumpFile.Entry> kept = new ArrayList<>();
            for (MetadumpFile.Entry e : cluster) {
                byte[] content = MetadumpFile.inflate(e.payload());
                long at = logical - e.bytenr();
                if (at < 0 || at >= content.length) {
                    kept.add(e);
                    continue;
                }
                found = true;
                if (at > 0) {
                    kept.add(new MetadumpFile.Entry(e.bytenr(), MetadumpFile.zlib(Arrays.copyOf(content, (int) at), 9)));
                }
                if (at + NODESIZE < content.length) {
                    kept.add(new MetadumpFile.Entry(logical + NODESIZE, MetadumpFile.zlib(
                            Arrays.copyOfRange(content, (int) at + NODESIZE, content.length), 9)));
                }
            }
            assertTrue(kept.size() <= 83, "cluster overflows");
            out.add(kept);
        }
        assertTrue(found, "block " + logical + " is not in the image");
        return MetadumpFile.build(MetadumpFile.MAGIC_V0, 1, out);
    }

    private Path write(String name, byte[] b) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }
}
