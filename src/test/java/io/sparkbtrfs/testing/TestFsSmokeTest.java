package io.sparkbtrfs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Smoke test of the test-support layer against the real btrfs-progs and the real kernel. */
class TestFsSmokeTest {

    @TempDir
    static Path shared;

    static Path tree;
    static TreeGenerator.Stats stats;

    @BeforeAll
    static void generateTree() throws IOException {
        RefTool.assumeAvailable();
        tree = shared.resolve("tree");
        stats = TreeGenerator.withSeed(1234).generate(tree);
        log("generated " + stats);
        assertTrue(stats.regularFiles() >= 3000, "regular files: " + stats.regularFiles());
        assertTrue(stats.symlinks() > 0 && stats.extraHardlinkNames() > 0 && stats.xattrs() > 0);
        assertTrue(stats.markerNames() > 0 && stats.markerContents() > 0 && stats.markerXattrs() > 0
                && stats.markerSymlinks() > 0);
    }

    @Test
    void treeGeneratorIsDeterministic(@TempDir Path dir) throws Exception {
        TreeGenerator g = TreeGenerator.withSeed(99).fileCount(150).bigDirFiles(20).largeFiles(2, 70_000, 90_000);
        g.generate(dir.resolve("a"));
        g.generate(dir.resolve("b"));
        assertEquals(fingerprint(dir.resolve("a")), fingerprint(dir.resolve("b")));
        TreeGenerator.withSeed(100).fileCount(150).bigDirFiles(20).largeFiles(2, 70_000, 90_000)
                .generate(dir.resolve("c"));
        assertNotEquals(fingerprint(dir.resolve("a")), fingerprint(dir.resolve("c")));
        // switching a feature off does not change the rest of the tree
        TreeGenerator.withSeed(99).fileCount(150).bigDirFiles(20).largeFiles(2, 70_000, 90_000).unicodeNames(false)
                .generate(dir.resolve("d"));
        assertEquals(fingerprint(dir.resolve("a"), "names/unicode"), fingerprint(dir.resolve("d"), "names/unicode"));
        // special names really are there, byte-exact
        if (TreeGenerator.utf8FileNames()) {
            assertTrue(Files.exists(dir.resolve("a/names/unicode/" + "\u20ac".repeat(85))));
        }
        assertTrue(Files.exists(dir.resolve("a/names/prefix/lib64")));
        try (Stream<Path> s = Files.list(dir.resolve("a/names/len"))) {
            assertEquals(255, s.map(p -> p.getFileName().toString().length()).distinct().count());
        }
    }

    @ParameterizedTest(name = "nodesize {0}")
    @ValueSource(ints = {4096, 16384, 65536})
    void mkfsDumpRestoreCheck(int nodesize, @TempDir Path dir) throws IOException {
        long t0 = System.nanoTime();
        Path img = Mkfs.image(dir.resolve("fs.img")).size(512L << 20).nodesize(nodesize).metadata("dup")
                .rootdir(tree).label("smoke" + nodesize).run();
        Map<String, String> sb = RefTool.superFields(img);
        assertEquals(Integer.toString(nodesize), sb.get("nodesize"));
        assertEquals("smoke" + nodesize, sb.get("label"));
        Proc.Result check = RefTool.check(img);
        assertTrue(check.ok(), check::describe);

        Path dump = dir.resolve("fs.dump");
        Proc.Result d = RefTool.dump(img, dump, "-c", "0");
        assertTrue(d.ok(), d::describe);
        assertTrue(Files.size(dump) > 0);

        Path restored = dir.resolve("restored.img");
        Proc.Result r = RefTool.restore(dump, restored);
        assertTrue(r.ok(), r::describe);
        Proc.Result check2 = RefTool.check(restored);
        assertTrue(check2.ok(), check2::describe);

        Proc.Result fsTree = RefTool.dumpTree(img, "-t", "5");
        assertTrue(fsTree.ok(), fsTree::describe);
        int level = RefTool.maxLevel(fsTree.stdout());
        if (nodesize == 4096) {
            assertTrue(level >= 2, "fs tree level at 4k nodesize: " + level);
            assertTrue(RefTool.countLines(fsTree.stdout(), "INODE_EXTREF") > 0, "no INODE_EXTREF items");
        }
        assertTrue(fsTree.stdout().contains("XATTR_ITEM"));
        assertTrue(fsTree.stdout().contains(TreeGenerator.DEFAULT_MARKER), "marker names in the fs tree");
        if (stats.unicodeNamesWritten()) {
            assertTrue(fsTree.stdout().contains("\u20ac".repeat(85)), "255-byte UTF-8 name in the fs tree");
        }
        log("nodesize " + nodesize + ": fs tree level " + level + ", dump " + Files.size(dump) + " bytes, "
                + ms(t0) + " ms");
    }

    @Test
    void mkfsVariants(@TempDir Path dir) {
        long t0 = System.nanoTime();
        for (String csum : List.of("crc32c", "xxhash", "sha256", "blake2")) {
            Path img = Mkfs.image(dir.resolve(csum + ".img")).size(256L << 20).csum(csum).run();
            assertTrue(RefTool.superFields(img).get("csum_type").contains(csum), csum);
            assertTrue(RefTool.check(img).ok(), csum);
        }
        Path mixed = Mkfs.image(dir.resolve("mixed.img")).size(256L << 20).mixed(true).nodesize(4096)
                .sectorsize(4096).metadata("single").data("single").run();
        Proc.Result chunks = RefTool.dumpTree(mixed, "-t", "chunk");
        assertTrue(chunks.stdout().contains("DATA|METADATA"), chunks::describe);
        assertThrows(IllegalArgumentException.class, () -> Mkfs.image(dir.resolve("x.img")).mixed(true).nodesize(16384).run());
        Mkfs.image(dir.resolve("nofst.img")).runtimeFeatures("^free-space-tree").features("^no-holes").run();
        assertEquals("0x0", RefTool.superFields(dir.resolve("nofst.img")).get("compat_ro_flags"));
        Mkfs.MkfsException e = assertThrows(Mkfs.MkfsException.class,
                () -> Mkfs.image(dir.resolve("bad.img")).extraArgs("--no-such-option").run());
        assertTrue(e.getMessage().contains("mkfs.btrfs failed"), e.getMessage());
        log("mkfs variants " + ms(t0) + " ms");
    }

    @Test
    void kernelFsWithLogTree(@TempDir Path dir) {
        KernelFs.assumeAvailable();
        long t0 = System.nanoTime();
        KernelFs.Result r = KernelFs.builder(dir).logTree(true).build();
        log("kernel fs with log tree " + ms(t0) + " ms");
        assertNoLeftovers(dir, r.image());

        Map<String, String> logSb = RefTool.superFields(r.logTreeImage());
        assertNotEquals("0", logSb.get("log_root"), "log_root of the copy taken after fsync");
        assertEquals("0", RefTool.superFields(r.image()).get("log_root"), "log_root after umount");
        Proc.Result check = RefTool.check(r.image());
        assertTrue(check.ok(), check::describe);
        Proc.Result checkLog = RefTool.check(r.logTreeImage());
        assertTrue(checkLog.ok(), checkLog::describe);

        Proc.Result roots = RefTool.dumpTree(r.image(), "-t", "root");
        assertTrue(roots.ok(), roots::describe);
        // subvolume, nested subvolume and two snapshots: four ROOT_ITEMs with ids >= 256
        assertTrue(RefTool.countLines(roots.stdout(), "ROOT_ITEM") >= 8, roots::describe);
        Proc.Result fs5 = RefTool.dumpTree(r.image(), "-t", "5");
        assertTrue(fs5.stdout().contains("compression 3"), "no zstd-compressed extent in the fs tree");
        assertTrue(fs5.stdout().contains("prealloc"), "no prealloc extent in the fs tree");

        Path dump = dir.resolve("log.dump");
        Proc.Result d = RefTool.dump(r.logTreeImage(), dump, "-c", "0");
        assertTrue(d.ok(), d::describe);
        assertTrue(Files.exists(dump));
    }

    @Test
    void kernelFsWithV1SpaceCache(@TempDir Path dir) {
        KernelFs.assumeAvailable();
        long t0 = System.nanoTime();
        KernelFs.Result r = KernelFs.builder(dir).spaceCacheV1(true).build();
        log("kernel fs with v1 space cache " + ms(t0) + " ms");
        assertNoLeftovers(dir, r.image());
        Map<String, String> sb = RefTool.superFields(r.image());
        assertEquals("0x0", sb.get("compat_ro_flags"), "no free space tree expected");
        assertNotEquals("0", sb.get("cache_generation"));
        Proc.Result roots = RefTool.dumpTree(r.image(), "-t", "root");
        assertTrue(roots.stdout().contains("FREE_SPACE UNTYPED"), roots::describe);
        assertTrue(RefTool.check(r.image()).ok());
    }

    @Test
    void raid1Pair(@TempDir Path dir) {
        KernelFs.assumeAvailable();
        long t0 = System.nanoTime();
        KernelFs.Raid1 pair = KernelFs.raid1(dir, 512L << 20, null);
        log("raid1 pair " + ms(t0) + " ms");
        assertNoLeftovers(dir, pair.image1());
        assertNoLeftovers(dir, pair.image2());
        Map<String, String> a = RefTool.superFields(pair.image1());
        Map<String, String> b = RefTool.superFields(pair.image2());
        assertEquals("2", a.get("num_devices"));
        assertEquals("2", b.get("num_devices"));
        assertEquals(a.get("fsid"), b.get("fsid"));
        assertEquals("1", a.get("dev_item.devid"));
        assertEquals("2", b.get("dev_item.devid"));
        Proc.Result chunks = RefTool.dumpTree(pair.image1(), "-t", "chunk");
        assertTrue(chunks.stdout().contains("METADATA|RAID1") && chunks.stdout().contains("DATA|RAID1"),
                chunks::describe);
    }

    @Test
    void procTimeoutKillsTheProcess() {
        Proc.Result r = Proc.run(Duration.ofMillis(300), "sh", "-c", "sleep 30; echo never");
        assertTrue(r.timedOut());
        assertFalse(r.ok());
        assertTrue(r.elapsed().toSeconds() < 10, r::describe);
        Proc.Result echo = Proc.run("sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, echo.exitCode());
        assertEquals("out\n", echo.stdout());
        assertEquals("err\n", echo.stderr());
        assertEquals(127, Proc.run("/nonexistent/binary").exitCode());
    }

    // ------------------------------------------------------------------ helpers

    private static void assertNoLeftovers(Path dir, Path image) {
        Proc.Result l = Proc.run(List.of("losetup", "-j", image.toString()), Duration.ofSeconds(10));
        assertEquals("", l.stdout().strip(), "loop device still attached to " + image);
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isDirectory).forEach(p -> assertFalse(KernelFs.isMountpoint(p), "still mounted: " + p));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Hash over names, types, link targets, sizes, contents, xattrs and mtimes of a tree. */
    private static String fingerprint(Path root) throws Exception {
        return fingerprint(root, null);
    }

    /** As {@link #fingerprint(Path)}, leaving out the subtree {@code exclude} (relative). */
    private static String fingerprint(Path root, String exclude) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted().toList()) {
                if (exclude != null && root.relativize(p).startsWith(exclude)) continue;
                md.update(root.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                if (Files.isSymbolicLink(p)) {
                    md.update(("L" + Files.readSymbolicLink(p)).getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (InputStream in = Files.newInputStream(p)) {
                        md.update(in.readAllBytes());
                    }
                    md.update(Files.getLastModifiedTime(p).toString().getBytes(StandardCharsets.UTF_8));
                    md.update(Files.getAttribute(p, "unix:nlink").toString().getBytes(StandardCharsets.UTF_8));
                }
                if (!Files.isSymbolicLink(p)) {
                    md.update(Files.getLastModifiedTime(p).toString().getBytes(StandardCharsets.UTF_8));
                    var v = Files.getFileAttributeView(p, java.nio.file.attribute.UserDefinedFileAttributeView.class);
                    for (String name : v.list().stream().sorted().toList()) {
                        var buf = java.nio.ByteBuffer.allocate(v.size(name));
                        v.read(name, buf);
                        md.update(name.getBytes(StandardCharsets.UTF_8));
                        md.update(buf.array());
                    }
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static void log(String s) {
        System.out.println("[TestFsSmokeTest] " + s);
    }
}
