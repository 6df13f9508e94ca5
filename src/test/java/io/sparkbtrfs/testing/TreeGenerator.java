package io.sparkbtrfs.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Deterministic (seeded) generator of a directory tree on the local disk, meant as {@code mkfs.btrfs --rootdir}
 * input (or to be written into a mounted btrfs). The same seed and parameters give the same names, contents, link
 * structure, xattrs, modes and mtimes. (Inode numbers are not reproducible: mkfs.btrfs 6.2 --rootdir copies the
 * host inode numbers.)
 *
 * <p>What is generated under the root directory:
 * <ul>
 *   <li>a directory hierarchy {@code depth} levels deep with {@code fanout} subdirectories per directory
 *       ({@code t0/t0_1/...}), plus {@code bigdir} (a single large directory);</li>
 *   <li>{@code fileCount} regular files spread over those directories: mostly small inline files
 *       (1..2047 bytes), some empty files, some medium files (2 KiB..60 KiB, non-inline regular extents),
 *       plus {@code largeFiles} large files of random bytes ({@code largeMin..largeMax});</li>
 *   <li>symlinks (relative, absolute, dangling, long targets), hardlinks (extra names for one inode, in the same
 *       and in other directories: several INODE_REF items) and {@code extref/}: one inode with
 *       {@code extrefLinks} names of 200 bytes in a single directory, which overflows the INODE_REF item at 4 KiB
 *       and 16 KiB nodesize so that INODE_EXTREF items appear (not at 64 KiB with the default 100 links);</li>
 *   <li>user.* xattrs on some files and directories (Java {@link UserDefinedFileAttributeView}; probed first);</li>
 *   <li>{@code names/}: names of every length 1..255 ({@code names/len}), names that are prefixes of each other
 *       ({@code names/prefix}: lib, lib64, libexec, abcdefgh, abcdefghij, ...), 255-byte ASCII and multi-byte
 *       UTF-8 names (2-, 3- and 4-byte sequences, NFC and NFD spellings), names with punctuation
 *       ({@code names/odd}); top-level {@code lib}, {@code lib64}, {@code libexec} directories;</li>
 *   <li>the marker string (if set) in file names, a directory name, file contents, xattr names and values and
 *       symlink targets, for sanitize tests. See {@link Stats} for how many of each were written.</li>
 * </ul>
 * Unicode names need a JVM whose {@code sun.jnu.encoding} is UTF-8 (e.g. LANG=C.UTF-8); by default they are
 * left out otherwise ({@link Stats#unicodeNamesWritten()}).
 */
public final class TreeGenerator {

    /** Default marker embedded by {@link #marker(String)}. */
    public static final String DEFAULT_MARKER = "SBTRFSMARKER";

    private static final FileTime BASE_TIME = FileTime.fromMillis(1_600_000_000_000L);
    private static final String ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String NAME_CHARS = ALNUM + "._-+=,@";
    private static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
        "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"};

    private long seed;
    private int fileCount = 3000;
    private int depth = 3;
    private int fanout = 4;
    private int bigDirFiles = 400;
    private int largeFiles = 6;
    private int largeMin = 64 * 1024;
    private int largeMax = 1024 * 1024;
    private double emptyFraction = 0.05;
    private double mediumFraction = 0.04;
    private double symlinkFraction = 0.05;
    private double hardlinkFraction = 0.03;
    private double xattrFraction = 0.06;
    private int extrefLinks = 100;
    private boolean xattrs = true;
    private boolean specialNames = true;
    private Boolean unicodeNames; // null = when the JVM can encode them
    private boolean ownership = true;
    private String marker = DEFAULT_MARKER;

    private TreeGenerator(long seed) {
        this.seed = seed;
    }

    /** A generator with default parameters (about 3000 files + 1000 special entries, roughly 3-6 MB of data). */
    public static TreeGenerator withSeed(long seed) {
        return new TreeGenerator(seed);
    }

    public TreeGenerator seed(long v) { this.seed = v; return this; }

    /** Number of regular-file inodes spread over the directory hierarchy (excluding bigdir and special entries). */
    public TreeGenerator fileCount(int v) { this.fileCount = requireNonNegative(v); return this; }

    /** Levels of subdirectories below the root (0 = files only in the root). */
    public TreeGenerator depth(int v) { this.depth = requireNonNegative(v); return this; }

    /** Subdirectories per directory. */
    public TreeGenerator fanout(int v) { this.fanout = requireNonNegative(v); return this; }

    /** Entries (small files) in the single large directory {@code bigdir}; 0 to omit. */
    public TreeGenerator bigDirFiles(int v) { this.bigDirFiles = requireNonNegative(v); return this; }

    /** Number of large random-content files and their size range (inclusive min, exclusive max). */
    public TreeGenerator largeFiles(int count, int minBytes, int maxBytes) {
        if (minBytes < 0 || maxBytes <= minBytes) throw new IllegalArgumentException("bad size range");
        this.largeFiles = requireNonNegative(count);
        this.largeMin = minBytes;
        this.largeMax = maxBytes;
        return this;
    }

    public TreeGenerator emptyFraction(double v) { this.emptyFraction = fraction(v); return this; }

    public TreeGenerator mediumFraction(double v) { this.mediumFraction = fraction(v); return this; }

    public TreeGenerator symlinkFraction(double v) { this.symlinkFraction = fraction(v); return this; }

    public TreeGenerator hardlinkFraction(double v) { this.hardlinkFraction = fraction(v); return this; }

    public TreeGenerator xattrFraction(double v) { this.xattrFraction = fraction(v); return this; }

    /** Names (200 bytes each) of the single inode in {@code extref/}; 0 to omit. */
    public TreeGenerator extrefLinks(int v) { this.extrefLinks = requireNonNegative(v); return this; }

    public TreeGenerator xattrs(boolean v) { this.xattrs = v; return this; }

    /** The {@code names/} directory and the lib/lib64/libexec top-level directories. */
    public TreeGenerator specialNames(boolean v) { this.specialNames = v; return this; }

    /**
     * Multi-byte UTF-8 names in {@code names/unicode}. Default: on when {@link #utf8FileNames()}; explicitly
     * requesting them on a JVM that cannot encode them makes {@link #generate} throw.
     */
    public TreeGenerator unicodeNames(boolean v) { this.unicodeNames = v; return this; }

    /** True if this JVM maps file names to UTF-8 bytes ({@code sun.jnu.encoding}, from LANG/LC_ALL). */
    public static boolean utf8FileNames() {
        String jnu = System.getProperty("sun.jnu.encoding", "");
        try {
            return Charset.forName(jnu).equals(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** When running as root, chown some entries to uids/gids 1000..1004 (ignored otherwise). */
    public TreeGenerator ownership(boolean v) { this.ownership = v; return this; }

    /** Marker string embedded in names, contents, xattrs and symlink targets; null or empty disables markers. */
    public TreeGenerator marker(String v) {
        if (v != null && (v.contains("/") || v.indexOf('\0') >= 0 || v.getBytes(StandardCharsets.UTF_8).length > 100)) {
            throw new IllegalArgumentException("marker must be a valid name fragment of at most 100 bytes");
        }
        this.marker = v == null || v.isEmpty() ? null : v;
        return this;
    }

    public String marker() {
        return marker;
    }

    /**
     * What {@link #generate} wrote. {@code regularFiles} counts inodes (each also has its first name);
     * {@code extraHardlinkNames} the additional names. Marker counts: entries whose name contains it, files whose
     * contents contain it, xattrs whose name or value contains it, symlinks whose target contains it.
     */
    public record Stats(Path root, int directories, int regularFiles, int emptyFiles, int inlineSizedFiles,
                        int mediumFiles, int largeFiles, int symlinks, int extraHardlinkNames, int xattrs,
                        long dataBytes, int markerNames, int markerContents, int markerXattrs, int markerSymlinks,
                        boolean xattrsWritten, boolean unicodeNamesWritten, Duration elapsed) {
        /** All directory entries other than "." and "..". */
        public int totalEntries() {
            return directories + regularFiles + symlinks + extraHardlinkNames;
        }
    }

    /** True if user.* xattrs can be set on files in {@code dir} (probe with a temporary file). */
    public static boolean supportsUserXattrs(Path dir) {
        Path probe = null;
        try {
            Files.createDirectories(dir);
            probe = Files.createTempFile(dir, ".xattr-probe", "");
            UserDefinedFileAttributeView v = Files.getFileAttributeView(probe, UserDefinedFileAttributeView.class);
            if (v == null) return false;
            v.write("probe", ByteBuffer.wrap(new byte[] {1}));
            return v.list().contains("probe");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    /**
     * {@code preferred} if user.* xattrs work there, else a new temporary directory under /var/tmp or /work
     * (the caller deletes it).
     *
     * @throws IllegalStateException if none of them supports user xattrs
     */
    public static Path xattrCapableDir(Path preferred) throws IOException {
        if (supportsUserXattrs(preferred)) return preferred;
        for (String base : List.of("/var/tmp", "/work")) {
            Path b = Path.of(base);
            if (Files.isDirectory(b) && Files.isWritable(b)) {
                Path d = Files.createTempDirectory(b, "treegen");
                if (supportsUserXattrs(d)) return d;
                Files.delete(d);
            }
        }
        throw new IllegalStateException("no directory with user xattr support (tried " + preferred
                + ", /var/tmp, /work)");
    }

    /** Sets xattr {@code user.<name>} (pass the name without "user."). */
    public static void setUserXattr(Path file, String name, byte[] value) throws IOException {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        if (v == null) throw new UnsupportedOperationException("no user xattr support for " + file);
        v.write(name, ByteBuffer.wrap(value));
    }

    /**
     * Generates the tree under {@code root}, which must not exist or be an empty directory.
     *
     * @throws IllegalStateException if xattrs are requested but unsupported there, or unicode names are requested
     *         but the JVM's file-name encoding is not UTF-8.
     */
    public Stats generate(Path root) throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(root);
        try (var s = Files.list(root)) {
            if (s.findAny().isPresent()) throw new IllegalArgumentException("root is not empty: " + root);
        }
        if (Boolean.TRUE.equals(unicodeNames) && specialNames && !utf8FileNames()) {
            throw new IllegalStateException("unicode names need a UTF-8 file name encoding, but sun.jnu.encoding="
                    + System.getProperty("sun.jnu.encoding") + "; run the JVM with LANG=C.UTF-8 or call "
                    + "unicodeNames(false)");
        }
        if (xattrs && !supportsUserXattrs(root)) {
            throw new IllegalStateException("user.* xattrs are not supported on the filesystem of " + root
                    + "; use a directory on ext4/xfs/btrfs (e.g. under /var/tmp or /work) or call xattrs(false)");
        }
        return new Run(root).go(t0);
    }

    private static int requireNonNegative(int v) {
        if (v < 0) throw new IllegalArgumentException("negative: " + v);
        return v;
    }

    private static double fraction(double v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("not a fraction: " + v);
        return v;
    }

    /** Mutable state of one generation. */
    private final class Run {
        final Path root;
        SplittableRandom rnd;
        boolean specialPhase; // entries made now are not picked as targets by later phases
        final boolean chown;
        final boolean unicode = specialNames && (unicodeNames != null ? unicodeNames : utf8FileNames());
        final List<Path> created = new ArrayList<>(); // creation order, for setting times
        final List<Path> dirs = new ArrayList<>();
        final List<Path> regular = new ArrayList<>();
        final List<Path> special = new ArrayList<>();
        int directories, regularFiles, emptyFiles, inlineSized, medium, large, symlinks, extraNames, xattrCount;
        long dataBytes;
        int markerNames, markerContents, markerXattrs, markerSymlinks;
        int seq;

        Run(Path root) {
            this.root = root;
            this.chown = ownership && isRoot();
        }

        Stats go(long t0) throws IOException {
            dirs.add(root);
            created.add(root);
            // Each phase has its own random stream, so that switching one feature off (or unicode names being
            // unavailable) does not change what the other phases generate.
            phase(1);
            makeHierarchy(root, 0, "t");
            phase(2);
            makeFiles();
            phase(3);
            if (bigDirFiles > 0) makeBigDir();
            phase(4);
            for (int i = 0; i < largeFiles; i++) {
                Path dir = pick(dirs);
                int size = largeMin + rnd.nextInt(largeMax - largeMin);
                byte[] data = new byte[size];
                rnd.nextBytes(data);
                if (marker != null && i % 2 == 0) {
                    // marker at a random offset, once in the middle of random data
                    byte[] m = marker.getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(m, 0, data, rnd.nextInt(Math.max(1, size - m.length)), Math.min(m.length, size));
                    markerContents++;
                }
                Path f = dir.resolve(String.format("large%02d_%s.bin", i, randomName(1, 12)));
                writeFile(f, data);
                large++;
            }
            phase(5);
            makeHardlinks();
            phase(6);
            makeSymlinks();
            specialPhase = true;
            phase(7);
            if (extrefLinks > 0) makeExtref();
            phase(8);
            if (specialNames) makeSpecialNames();
            phase(9);
            if (marker != null) makeMarkerEntries();
            specialPhase = false;
            phase(10);
            if (xattrs) makeXattrs();
            phase(11);
            if (xattrs) {
                // on about every 16th special-name file as well (chosen by name, not by position)
                for (Path p : special) {
                    int h = root.relativize(p).toString().hashCode();
                    if (Math.floorMod(h, 16) == 0) {
                        rnd = new SplittableRandom(seed ^ h);
                        setUserXattr(p, "special." + Integer.toHexString(h), xattrText(1 + Math.floorMod(h, 64)));
                        xattrCount++;
                    }
                }
            }
            setTimes();
            return new Stats(root, directories, regularFiles, emptyFiles, inlineSized, medium, large, symlinks,
                    extraNames, xattrCount, dataBytes, markerNames, markerContents, markerXattrs, markerSymlinks,
                    xattrs, unicode, Duration.ofNanos(System.nanoTime() - t0));
        }

        void makeHierarchy(Path dir, int level, String prefix) throws IOException {
            if (level >= depth) return;
            for (int i = 0; i < fanout; i++) {
                String name = prefix + i;
                Path d = mkdir(dir.resolve(name + (rnd.nextInt(3) == 0 ? "_" + randomName(1, 20) : "")));
                makeHierarchy(d, level + 1, name + "_");
            }
        }

        void makeFiles() throws IOException {
            for (int i = 0; i < fileCount; i++) {
                Path dir = pick(dirs);
                String name = "f" + i + "_" + randomName(1, 48);
                double r = rnd.nextDouble();
                byte[] data;
                if (r < emptyFraction) {
                    data = new byte[0];
                } else if (r < emptyFraction + mediumFraction) {
                    data = randomBytes(2048 + rnd.nextInt(60 * 1024 - 2048));
                } else {
                    data = textContent(1 + rnd.nextInt(2047));
                }
                writeFile(dir.resolve(name), data);
                // draw the random numbers whether or not we can chown: same tree for root and non-root
                boolean doChown = rnd.nextInt(10) == 0;
                int owner = 1000 + rnd.nextInt(5);
                if (chown && doChown) chown(dir.resolve(name), owner);
                if (rnd.nextInt(20) == 0) chmod(dir.resolve(name), rnd.nextBoolean() ? "rwx------" : "r--r-----");
            }
        }

        void makeBigDir() throws IOException {
            Path big = mkdir(root.resolve("bigdir"));
            for (int i = 0; i < bigDirFiles; i++) {
                writeFile(big.resolve(String.format("entry-%05d-%s", i, randomName(0, 30))), textContent(rnd.nextInt(200)));
            }
        }

        void makeHardlinks() throws IOException {
            List<Path> candidates = new ArrayList<>(regular);
            int n = (int) Math.round(candidates.size() * hardlinkFraction);
            for (int i = 0; i < n; i++) {
                Path target = pick(candidates);
                int names = 1 + rnd.nextInt(3);
                for (int k = 0; k < names; k++) {
                    // mostly another directory (one INODE_REF item per parent), sometimes the same directory
                    Path dir = rnd.nextInt(4) == 0 ? target.getParent() : pick(dirs);
                    Path link = dir.resolve("hl" + (seq++) + "_" + randomName(1, 30));
                    Files.createLink(link, target);
                    extraNames++;
                }
            }
        }

        void makeSymlinks() throws IOException {
            int n = (int) Math.round(fileCount * symlinkFraction);
            List<Path> sources = new ArrayList<>(regular);
            for (int i = 0; i < n; i++) {
                Path dir = pick(dirs);
                String target;
                int kind = rnd.nextInt(6);
                if (kind <= 2 && !sources.isEmpty()) {
                    target = dir.relativize(pick(sources)).toString(); // relative, resolvable
                } else if (kind == 3 && !sources.isEmpty()) {
                    target = "/" + root.relativize(pick(sources)); // absolute (dangling on the host)
                } else if (kind == 4) {
                    target = "dangling/" + randomName(1, 60);
                } else {
                    StringBuilder sb = new StringBuilder();
                    int len = 200 + rnd.nextInt(800);
                    while (sb.length() < len) sb.append(randomName(1, 40)).append('/');
                    target = sb.toString();
                }
                if (marker != null && i % 10 == 0) {
                    target = target + "/" + marker;
                    markerSymlinks++;
                }
                symlink(dir.resolve("sl" + i + "_" + randomName(0, 20)), target);
            }
        }

        void makeExtref() throws IOException {
            Path d = mkdir(root.resolve("extref"));
            Path target = d.resolve("target");
            writeFile(target, textContent(100));
            for (int i = 0; i < extrefLinks; i++) {
                String prefix = String.format("link%04d-", i);
                Files.createLink(d.resolve(prefix + fixedName(200 - prefix.length())), target);
                extraNames++;
            }
            // also links to that inode from other directories
            Files.createLink(root.resolve("extref-elsewhere"), target);
            extraNames++;
        }

        void makeSpecialNames() throws IOException {
            Path names = mkdir(root.resolve("names"));
            Path len = mkdir(names.resolve("len"));
            for (int n = 1; n <= 255; n++) {
                // names of distinct lengths are distinct; first char a letter so 1/2-char names are never "." or ".."
                String name = ALNUM.charAt(rnd.nextInt(52)) + randomChars(NAME_CHARS, n - 1);
                writeFile(len.resolve(name), n % 3 == 0 ? new byte[0] : textContent(n));
            }
            Path prefix = mkdir(names.resolve("prefix"));
            for (String s : new String[] {"a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghij",
                "abcdefghijk", "lib", "lib32", "lib64", "libexec", "libx32", "lib.so", "lib.so.1", "lib.so.1.2",
                "x", "x0", "x00", "x000"}) {
                writeFile(prefix.resolve(s), textContent(s.length() * 7));
            }
            for (String s : new String[] {"lib", "lib64", "libexec"}) {
                Path d = mkdir(root.resolve(s));
                for (int i = 0; i < 5; i++) writeFile(d.resolve("lib" + s + i + ".so"), randomBytes(100 + rnd.nextInt(3000)));
            }
            Path odd = mkdir(names.resolve("odd"));
            String[] oddNames = {" leading space", "trailing space ", "with  two  spaces", "tab\there", "quote'single",
                "quote\"double", "back\\slash", "colon:semi;comma,", "star*question?", "brackets[]{}()", "dollar$amp&pipe|",
                "hash#percent%", "-dash-first", "...", ".hidden", "..double", "~tilde", "x".repeat(255),
                "y".repeat(254) + ".", "UPPER", "upper"};
            for (String s : oddNames) writeFile(odd.resolve(s), textContent(10 + s.length()));
            if (unicode) {
                Path uni = mkdir(names.resolve("unicode"));
                String[] uniNames = {
                    "caf\u00e9", "cafe\u0301", // NFC vs NFD: different bytes, both valid
                    "\u00fc".repeat(127) + "x", // 255 bytes of 2-byte sequences
                    "\u20ac".repeat(85), // 255 bytes of 3-byte sequences
                    "\ud83d\ude00".repeat(63) + "abc", // 255 bytes of 4-byte sequences
                    "\u65e5\u672c\u8a9e\u306e\u30d5\u30a1\u30a4\u30eb\u540d", "\u0440\u0443\u0441\u0441\u043a\u0438\u0439",
                    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u05e2\u05d1\u05e8\u05d9\u05ea", "\u03b1\u03b2\u03b3",
                    "mixed-\u00e4\u00f6\u00fc-\u6f22\u5b57-\ud83d\udcc1", "\u00df", "\u1e9e", "\ufeffbom", "zero\u200bwidth",
                };
                for (String s : uniNames) {
                    int bytes = s.getBytes(StandardCharsets.UTF_8).length;
                    if (bytes > 255) throw new AssertionError("name too long: " + bytes);
                    writeFile(uni.resolve(s), textContent(bytes));
                }
                Path ud = mkdir(uni.resolve("\u30c7\u30a3\u30ec\u30af\u30c8\u30ea"));
                writeFile(ud.resolve("\u00e9t\u00e9.txt"), textContent(50));
                symlink(uni.resolve("lien-\u00e9"), "caf\u00e9");
            }
        }

        void makeMarkerEntries() throws IOException {
            Path d = mkdir(root.resolve("marker-" + marker + "-dir"));
            markerNames++;
            writeFile(d.resolve(marker), textContent(64));
            markerNames++;
            writeFile(d.resolve("pre-" + marker + "-post.txt"), (marker + "\n").getBytes(StandardCharsets.UTF_8));
            markerNames++;
            markerContents++;
            int pad = 255 - marker.getBytes(StandardCharsets.UTF_8).length - 2;
            writeFile(d.resolve("L" + marker + "R" + fixedName(pad)), textContent(300));
            markerNames++;
            // marker in a medium (non-inline) file too
            byte[] med = textContent(12000);
            byte[] m = marker.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(m, 0, med, 6000, m.length);
            writeFile(d.resolve("medium-with-marker"), med);
            markerContents++;
            // marker-named files scattered in the hierarchy
            for (int i = 0; i < 10; i++) {
                writeFile(pick(dirs).resolve(marker + "_" + i), textContent(40));
                markerNames++;
            }
        }

        void makeXattrs() throws IOException {
            List<Path> targets = new ArrayList<>(regular);
            targets.addAll(dirs);
            Collections.sort(targets); // deterministic independent of list construction details
            int n = (int) Math.round(targets.size() * xattrFraction);
            for (int i = 0; i < n; i++) {
                Path p = pick(targets);
                int count = 1 + rnd.nextInt(4);
                for (int k = 0; k < count; k++) {
                    String name = "x" + (seq++) + "." + randomName(1, 30);
                    byte[] value;
                    if (marker != null && i % 8 == 0 && k == 0) {
                        name = "m." + marker + "." + name;
                        value = ("v=" + marker).getBytes(StandardCharsets.UTF_8);
                        markerXattrs++;
                    } else {
                        value = rnd.nextInt(10) == 0 ? randomBytes(500 + rnd.nextInt(1000)) : xattrText(rnd.nextInt(120));
                    }
                    setUserXattr(p, name, value);
                    xattrCount++;
                }
            }
            // a few well-known names
            setUserXattr(root, "root.comment", "root directory".getBytes(StandardCharsets.UTF_8));
            setUserXattr(root, "empty", new byte[0]);
            xattrCount += 2;
        }

        void setTimes() {
            // children before parents (creating entries updates the parent's mtime); the time is a function of the
            // relative path only
            for (int i = created.size() - 1; i >= 0; i--) {
                Path p = created.get(i);
                long h = Math.floorMod(root.relativize(p).toString().hashCode(), 100_000_000);
                FileTime t = FileTime.fromMillis(BASE_TIME.toMillis() + h * 1000L + 123);
                try {
                    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setTimes(t, t, null);
                } catch (IOException | UnsupportedOperationException e) {
                    // symlink times may be unsupported; not essential
                }
            }
        }

        // ---- primitives ----

        Path mkdir(Path d) throws IOException {
            Files.createDirectory(d);
            created.add(d);
            if (!specialPhase) dirs.add(d);
            directories++;
            return d;
        }

        void writeFile(Path f, byte[] data) throws IOException {
            try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(data);
            } catch (FileAlreadyExistsException e) {
                throw new IllegalStateException("generator produced a duplicate name: " + f, e);
            }
            created.add(f);
            (specialPhase ? special : regular).add(f);
            regularFiles++;
            dataBytes += data.length;
            if (data.length == 0) emptyFiles++;
            else if (data.length < 2048) inlineSized++;
            else if (data.length <= 60 * 1024) medium++;
        }

        void symlink(Path link, String target) throws IOException {
            Files.createSymbolicLink(link, Path.of(target));
            created.add(link);
            symlinks++;
        }

        void chown(Path p, int id) {
            try {
                Files.setAttribute(p, "unix:uid", id, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", id, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                // not essential
            }
        }

        void chmod(Path p, String perms) throws IOException {
            Set<PosixFilePermission> set = PosixFilePermissions.fromString(perms);
            Files.setPosixFilePermissions(p, set);
        }

        void phase(int id) {
            rnd = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * id));
        }

        <T> T pick(List<T> list) {
            return list.get(rnd.nextInt(list.size()));
        }

        String randomName(int minLen, int maxLen) {
            return randomChars(ALNUM, minLen + rnd.nextInt(maxLen - minLen + 1));
        }

        String randomChars(String alphabet, int n) {
            char[] c = new char[n];
            for (int i = 0; i < n; i++) c[i] = alphabet.charAt(rnd.nextInt(alphabet.length()));
            return new String(c);
        }

        String fixedName(int n) {
            return randomChars(ALNUM, n);
        }

        byte[] randomBytes(int n) {
            byte[] b = new byte[n];
            rnd.nextBytes(b);
            return b;
        }

        /** As {@link #textContent} for an xattr value (a marker in it counts as a marker xattr). */
        byte[] xattrText(int n) {
            int before = markerContents;
            byte[] b = textContent(n);
            markerXattrs += markerContents - before;
            markerContents = before;
            return b;
        }

        /** Compressible text of exactly {@code n} bytes; sometimes containing the marker. */
        byte[] textContent(int n) {
            StringBuilder sb = new StringBuilder(n + 16);
            boolean withMarker = marker != null && n >= marker.getBytes(StandardCharsets.UTF_8).length + 16
                    && rnd.nextInt(25) == 0;
            if (withMarker) {
                sb.append("secret=").append(marker).append('\n');
                markerContents++;
            }
            while (sb.length() < n) {
                sb.append(WORDS[rnd.nextInt(WORDS.length)]).append(rnd.nextInt(8) == 0 ? '\n' : ' ');
            }
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            if (b.length == n) return b;
            byte[] out = new byte[n];
            System.arraycopy(b, 0, out, 0, n);
            return out;
        }
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) return line.split("\\s+")[2].equals("0"); // effective uid
            }
        } catch (IOException | UncheckedIOException e) {
            // fall through
        }
        return "root".equals(System.getProperty("user.name"));
    }
}
