package io.sparkbtrfs.sanitize;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;

import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Filesystems and images shared by the sanitize tests (built once per test JVM, on first use, in a temporary
 * directory removed at exit): the kernel-written "canary" filesystem, whose every kind of name and secret carries
 * {@link #MARKER}, and a {@code mkfs.btrfs --rootdir} tree with names that are prefixes of each other and names of
 * every length 1..255. Dumps with fixed options are memoised ({@link #image}); restores too ({@link #restored}).
 */
final class SanitizeFixtures {
    /** In every secret of the canary filesystem. Followed by a category tag (see {@link #TAGS}). */
    static final String MARKER = "Zq7CANARYx";
    /** Category tags: {@code MARKER + tag} is where that category's secret is. */
    static final List<String> TAGS = List.of("FILE", "DIR", "LINK", "XNAME", "XVAL", "SYMT", "INLINE", "SUBV",
            "NEST", "SNAP", "SNAPRO", "TG", "LABEL", "LOGF", "LOGX", "LOGV", "LOGR");
    /** Tags of names and values written after the last commit of the log-tree copy (they are in its log tree). */
    static final List<String> LOG_TAGS = List.of("LOGF", "LOGX", "LOGV", "LOGR");
    /** Tags whose secrets are file data (inline extents): never in an image, sanitized or not. */
    static final List<String> DATA_TAGS = List.of("SYMT", "INLINE");
    /** Hardlinks to one inode in one directory, 200-byte names: INODE_EXTREF at nodesize 4096. */
    static final int LINKS = 100;

    private static Path root;
    private static Path canary;
    private static Path canaryLog;
    private static Path rootdirFs;
    private static Path rootdirCanary;
    private static List<String> rootdirCanaryNames;
    private static final Map<String, Path> IMAGES = new HashMap<>();
    private static final Map<Path, Path> RESTORED = new HashMap<>();
    private static final Map<Path, String> STDERR = new HashMap<>();
    private static int seq;

    private SanitizeFixtures() {
    }

    static synchronized Path dir() {
        if (root == null) {
            try {
                root = Files.createTempDirectory(Path.of("/var/tmp"), "sanitize-tests");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path r = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> Proc.run(List.of("rm", "-rf", "--one-file-system",
                    r.toString()), java.time.Duration.ofMinutes(1))));
        }
        return root;
    }

    static String m(String tag) {
        return MARKER + tag;
    }

    /** The name of the i-th hardlink: 200 bytes, starts with the marker. */
    static String linkName(int i) {
        String s = m("LINK") + "-" + i + "-";
        return s + "l".repeat(200 - s.length());
    }

    /**
     * Kernel-written (loop mount) filesystem, nodesize 4096, label with the marker; markers in file, directory,
     * hardlink (INODE_EXTREF), xattr names and values, symlink targets, inline contents, subvolume, nested
     * subvolume and snapshot names, plus a TreeGenerator tree with its own marker.
     */
    static synchronized Path canary() {
        buildCanary();
        return canary;
    }

    /**
     * The canary filesystem as copied while still mounted, right after fsyncs that went to the log tree: new
     * file, xattr, rename, all with the marker ({@link #LOG_TAGS}); {@code log_root != 0}.
     */
    static synchronized Path canaryLog() {
        buildCanary();
        return canaryLog;
    }

    private static void buildCanary() {
        if (canary == null) {
            KernelFs.assumeAvailable();
            RefTool.assumeAvailable();
            long t0 = System.nanoTime();
            java.util.concurrent.atomic.AtomicInteger round = new java.util.concurrent.atomic.AtomicInteger();
            KernelFs.Result r = KernelFs.builder(dir().resolve("canary")).name("canary").size(256L << 20)
                    .mkfs(mk -> mk.nodesize(4096).label("lbl-" + m("LABEL")))
                    .compress(null).standardContent(false)
                    .tree(TreeGenerator.withSeed(5).marker(m("TG")).fileCount(800).depth(2).fanout(4)
                            .bigDirFiles(200).largeFiles(1, 64 * 1024, 65 * 1024).extrefLinks(0).specialNames(true))
                    .populate(SanitizeFixtures::populateCanary)
                    .logTreeWrites(fs -> logWrites(fs, round.getAndIncrement())).build();
            canary = r.image();
            canaryLog = r.logTreeImage();
            System.out.printf("canary filesystem built in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Prepares, commits, then logs (fsync) a new file, an xattr and a rename, all named with the marker. */
    private static void logWrites(KernelFs.Mounted fs, int round) throws IOException {
        String d = "logdir" + round;
        byte[] inline = ("logged " + m("INLINE") + "\n").getBytes(StandardCharsets.UTF_8);
        fs.writeFile(d + "/pre", inline);
        fs.writeFile(d + "/keep", inline);
        fs.sync();
        fs.fsyncWrite(d + "/" + m("LOGF") + ".txt", inline, false);
        fs.setXattr(d + "/keep", m("LOGX"), m("LOGV").getBytes(StandardCharsets.UTF_8));
        fs.fsyncWrite(d + "/keep", inline, true);
        Files.move(fs.resolve(d + "/pre"), fs.resolve(d + "/" + m("LOGR")));
        fs.fsyncWrite(d + "/" + m("LOGR"), new byte[0], true);
        fs.fsyncDir(d);
    }

    private static void populateCanary(KernelFs.Mounted fs) throws IOException {
        byte[] inline = ("inline " + m("INLINE") + " content\n").getBytes(StandardCharsets.UTF_8);
        String file = "canary/" + m("FILE") + ".txt";
        fs.writeFile(file, inline);
        fs.setXattr(file, m("XNAME"), ("value " + m("XVAL")).getBytes(StandardCharsets.UTF_8));
        fs.setXattr(file, "plain", ("second " + m("XVAL")).getBytes(StandardCharsets.UTF_8));
        fs.writeFile("canary/dir-" + m("DIR") + "/sub-" + m("DIR") + "/f", inline);
        fs.setXattr("canary/dir-" + m("DIR"), "d." + m("XNAME"), new byte[0]);
        Path target = fs.writeFile("canary/links/target", inline);
        for (int i = 0; i < LINKS; i++) {
            Files.createLink(fs.resolve("canary/links/" + linkName(i)), target);
        }
        Files.createSymbolicLink(fs.resolve("canary/symlink"), Path.of("../" + m("SYMT") + "/target"));
        String sub = "subvol-" + m("SUBV");
        fs.subvolumeCreate(sub);
        fs.writeFile(sub + "/in-" + m("FILE"), inline);
        fs.setXattr(sub, "s." + m("XNAME"), m("XVAL").getBytes(StandardCharsets.UTF_8));
        fs.subvolumeCreate(sub + "/nested-" + m("NEST"));
        fs.writeFile(sub + "/nested-" + m("NEST") + "/deep-" + m("FILE"), inline);
        fs.sync();
        fs.snapshot(sub, "snap-" + m("SNAP"), false);
        fs.snapshot(sub, "snapro-" + m("SNAPRO"), true);
        fs.writeFile("snap-" + m("SNAP") + "/after-" + m("FILE"), inline); // COW of the shared leaf
    }

    /** {@code mkfs.btrfs --rootdir} of a TreeGenerator tree (names/prefix, names/len 1..255, extrefs...). */
    static synchronized Path rootdirFs() {
        if (rootdirFs == null) {
            RefTool.assumeAvailable();
            long t0 = System.nanoTime();
            try {
                Path treeDir = TreeGenerator.xattrCapableDir(dir().resolve("rootdir-tree"));
                Path tree = treeDir.resolve("tree");
                TreeGenerator.withSeed(3).fileCount(300).bigDirFiles(50).largeFiles(1, 64 * 1024, 65 * 1024)
                        .generate(tree);
                rootdirFs = Mkfs.image(dir().resolve("rootdir.img")).size(256L << 20).rootdir(tree).run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.printf("rootdir filesystem built in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
        return rootdirFs;
    }

    /**
     * {@code mkfs.btrfs --rootdir} of a tree in which every name carries {@link #MARKER}: 3,000 files in seven
     * directories, user xattrs, symlinks and hardlinks. mkfs (6.2 at least) leaves stale memory, bytes of other
     * names and of file contents, in the transid field of the dir entries it writes: issue 11, item 10.
     */
    static synchronized Path rootdirCanary() {
        if (rootdirCanary == null) {
            RefTool.assumeAvailable();
            try {
                Path tree = TreeGenerator.xattrCapableDir(dir().resolve("rootdir-canary-tree")).resolve("tree");
                List<String> names = new ArrayList<>();
                boolean xattrs = TreeGenerator.supportsUserXattrs(tree.getParent());
                for (int i = 0; i < 3000; i++) {
                    String d = String.format("d%02d-%s", i % 7, m("DIR"));
                    String f = String.format("f%07d-%s-%03d", i, m("FILE"), i % 1000);
                    Path file = tree.resolve(d).resolve(f);
                    if (i < 7) {
                        Files.createDirectories(file.getParent());
                        names.add(d);
                    }
                    Files.write(file, "x".repeat(i % 3000).getBytes(StandardCharsets.US_ASCII));
                    names.add(f);
                    if (i % 10 == 0 && xattrs) {
                        String x = String.format("x%04d-%s", i, m("XNAME"));
                        TreeGenerator.setUserXattr(file, x, bytes("v-" + m("XVAL")));
                        names.add("user." + x);
                    }
                    if (i % 100 == 0) {
                        String s = String.format("s%05d-%s", i, m("SYMN"));
                        Files.createSymbolicLink(file.resolveSibling(s), Path.of("t-" + m("SYMT")));
                        String h = String.format("h%05d-%s-link", i, m("LINK"));
                        Files.createLink(file.resolveSibling(h), file);
                        names.add(s);
                        names.add(h);
                    }
                }
                rootdirCanary = Mkfs.image(dir().resolve("rootdir-canary.img")).size(512L << 20).rootdir(tree).run();
                rootdirCanaryNames = List.copyOf(names);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return rootdirCanary;
    }

    /** Every name in {@link #rootdirCanary()} (xattr names with their {@code user.} prefix). */
    static synchronized List<String> rootdirCanaryNames() {
        rootdirCanary();
        return rootdirCanaryNames;
    }

    /** Our dump of {@code src} with {@code opts}, memoised (same options → the same file). */
    static synchronized Path image(Path src, String... opts) {
        String key = src + " " + String.join(" ", opts);
        Path img = IMAGES.get(key);
        if (img == null) {
            img = dump(src, opts);
            IMAGES.put(key, img);
        }
        return img;
    }

    /** A fresh dump (never memoised). */
    static synchronized Path dump(Path src, String... opts) {
        Path img = dir().resolve("img-" + (seq++) + ".img");
        long t0 = System.nanoTime();
        Ours.Run run = Ours.dump(src, img, opts).requireOk();
        System.out.printf("dump %s %s: %d ms%n", src.getFileName(), String.join(" ", opts),
                (System.nanoTime() - t0) / 1_000_000);
        if (Arrays.asList(opts).contains("-s") || Arrays.asList(opts).contains("-ss")) {
            assertTrue(run.stderr().contains("sanitized "), "no sanitize summary: " + run.stderr());
        }
        STDERR.put(img, run.stderr());
        return img;
    }

    /** What our dump that made {@code img} wrote to stderr. */
    static synchronized String stderr(Path img) {
        return STDERR.get(img);
    }

    /** The reference's restore of {@code img}, memoised. */
    static synchronized Path restored(Path img) {
        Path out = RESTORED.get(img);
        if (out == null) {
            out = img.resolveSibling(img.getFileName() + ".restored");
            Proc.Result r = RefTool.restore(img, out);
            if (!r.ok()) {
                throw new AssertionError("reference restore failed: " + r.describe());
            }
            RESTORED.put(img, out);
        }
        return out;
    }

    /** One item of an image: its address and decompressed content. */
    record Item(long bytenr, byte[] content) {
    }

    /** Every item of a metadump image, decompressed, in image order. */
    static List<Item> items(Path image) throws IOException {
        List<Item> out = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(image), 1 << 20)) {
            ImageReader r = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
                for (int i = 0; i < c.size(); i++) {
                    out.add(new Item(c.bytenrs()[i], c.content(i, 1 << 26)));
                }
            }
        } catch (DataFormatException | ImageFormatException e) {
            throw new AssertionError(image + ": unreadable image", e);
        }
        return out;
    }

    /** Number of clusters of an image. */
    static int clusters(Path image) throws IOException {
        int n = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(image), 1 << 20)) {
            ImageReader r = new ImageReader(in, image.toString());
            while (r.next() != null) {
                n++;
            }
        } catch (ImageFormatException e) {
            throw new AssertionError(image + ": unreadable image", e);
        }
        return n;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Index of {@code needle} in {@code hay[from..to)}, or -1. */
    static int indexOf(byte[] hay, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Where in an image's decompressed payloads {@code needle} occurs ("item @bytenr+offset"), at most 10. */
    static List<String> findInItems(List<Item> items, byte[] needle) {
        List<String> hits = new ArrayList<>();
        for (Item it : items) {
            for (int p = indexOf(it.content(), 0, it.content().length, needle); p >= 0 && hits.size() < 10;
                    p = indexOf(it.content(), p + 1, it.content().length, needle)) {
                hits.add("item @" + it.bytenr() + "+" + p);
            }
        }
        return hits;
    }

    /** File offsets where one of {@code needles} occurs in a whole file (holes read as zeros), at most 10. */
    static List<Long> findInFile(Path file, byte[]... needles) throws IOException {
        List<Long> hits = new ArrayList<>();
        int longest = 0;
        for (byte[] n : needles) {
            longest = Math.max(longest, n.length);
        }
        int chunk = 8 << 20;
        ByteBuffer buf = ByteBuffer.allocate(chunk + longest);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            for (long pos = 0; pos < size && hits.size() < 10; pos += chunk) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), size - pos));
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) >= 0) {
                    // fill
                }
                byte[] a = buf.array();
                int limit = Math.min(buf.position(), chunk + longest);
                for (byte[] needle : needles) {
                    for (int p = indexOf(a, 0, limit, needle); p >= 0 && hits.size() < 10;
                            p = indexOf(a, p + 1, limit, needle)) {
                        if (p < chunk) {
                            hits.add(pos + p); // a match starting in the overlap is found by the next chunk
                        }
                    }
                }
            }
        }
        return hits;
    }
}
