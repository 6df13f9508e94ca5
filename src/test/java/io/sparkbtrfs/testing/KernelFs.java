package io.sparkbtrfs.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import org.junit.jupiter.api.Assumptions;

/**
 * Kernel-written btrfs filesystems, made through loop devices (needs root, loop devices and the btrfs module).
 * Everything mounted or attached here is released in {@code finally} blocks ({@code umount}, retried, then
 * {@code umount -l} as a last resort; {@code btrfs device scan --forget}; {@code losetup -d}); a JVM shutdown hook
 * releases whatever a crashed test left behind.
 *
 * <pre>{@code
 * KernelFs.assumeAvailable();                       // skips the test with a reason when not root / no loop
 * KernelFs.Result r = KernelFs.builder(tmp).logTree(true).build();
 * r.image();          // clean, unmounted filesystem (log_root == 0)
 * r.logTreeImage();   // copy taken while mounted, right after fsync: log_root != 0
 * }</pre>
 */
public final class KernelFs {

    /** Timeout for each mount/umount/losetup/btrfs command. */
    static final Duration CMD_TIMEOUT = Duration.ofSeconds(60);

    private static final Set<Mounted> LIVE = Collections.synchronizedSet(new LinkedHashSet<>());
    private static volatile String unavailableReason; // "" = available, null = not probed yet

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            List<Mounted> left;
            synchronized (LIVE) {
                left = new ArrayList<>(LIVE);
            }
            Collections.reverse(left);
            for (Mounted m : left) m.close();
        }, "KernelFs-cleanup"));
    }

    private KernelFs() {}

    /** Code run against a mounted filesystem. */
    @FunctionalInterface
    public interface Populator {
        void populate(Mounted fs) throws Exception;
    }

    // ------------------------------------------------------------------ availability

    /**
     * Null if kernel filesystems can be made here; otherwise why not. The first call probes with a real
     * mkfs + loop mount of a small sparse image (about half a second); the result is cached.
     */
    public static String unavailableReason() {
        String r = unavailableReason;
        if (r == null) {
            synchronized (KernelFs.class) {
                r = unavailableReason;
                if (r == null) {
                    r = probe();
                    unavailableReason = r;
                }
            }
        }
        return r.isEmpty() ? null : r;
    }

    public static boolean available() {
        return unavailableReason() == null;
    }

    /** JUnit assumption: skips the calling test, with the reason, unless root + loop mounts of btrfs work. */
    public static void assumeAvailable() {
        String why = unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "kernel btrfs via loop mount unavailable: " + why);
    }

    private static String probe() {
        if (!TreeGenerator.isRoot()) return "not running as root";
        if (!Files.exists(Path.of("/dev/loop-control"))) return "/dev/loop-control missing (no loop driver)";
        for (String exe : List.of("mkfs.btrfs", "btrfs", "losetup", "mount", "umount", "cp")) {
            if (!Proc.onPath(exe)) return exe + " not found on PATH";
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("kernelfs-probe");
            Path img = Mkfs.image(dir.resolve("probe.img")).size(128L << 20).run();
            try (Mounted m = mount(img, dir.resolve("mnt"))) {
                m.writeFile("probe", "ok".getBytes(StandardCharsets.UTF_8));
            }
            return "";
        } catch (RuntimeException | IOException e) {
            return "probe mount failed: " + e.getMessage();
        } finally {
            if (dir != null) deleteTree(dir);
        }
    }

    // ------------------------------------------------------------------ low level: loop devices, mounts

    /** {@code losetup -f --show image}: attaches a free loop device (retries on races with other processes). */
    public static String attachLoop(Path image) {
        Proc.Result r = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            r = Proc.run(List.of("losetup", "-f", "--show", image.toString()), CMD_TIMEOUT);
            if (r.ok() && r.stdout().strip().startsWith("/dev/")) return r.stdout().strip();
            sleep(200L * (attempt + 1));
        }
        throw new IllegalStateException("cannot attach loop device: " + r.describe());
    }

    /** {@code losetup -d dev} (retried; errors after retries are reported on stderr, not thrown). */
    public static void detachLoop(String dev) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Proc.Result r = Proc.run(List.of("losetup", "-d", dev), CMD_TIMEOUT);
            if (r.ok()) return;
            sleep(200L * (attempt + 1));
        }
        System.err.println("KernelFs: could not detach " + dev);
    }

    /** Attaches {@code image} to a loop device and mounts it at {@code mountpoint} (created if needed). */
    public static Mounted mount(Path image, Path mountpoint, String... options) {
        return mountDevices(List.of(image), mountpoint, List.of(options));
    }

    /**
     * Attaches every image to a loop device and mounts the (multi-device) filesystem; the devices are passed with
     * {@code -o device=...} so no prior {@code btrfs device scan} is needed.
     */
    public static Mounted mountDevices(List<Path> images, Path mountpoint, List<String> options) {
        List<String> loops = new ArrayList<>();
        try {
            for (Path img : images) loops.add(attachLoop(img));
            return mountLoops(images, loops, mountpoint, options);
        } catch (RuntimeException e) {
            for (String l : loops) {
                forget(l);
                detachLoop(l);
            }
            throw e;
        }
    }

    private static Mounted mountLoops(List<Path> images, List<String> loops, Path mountpoint, List<String> options) {
        try {
            Files.createDirectories(mountpoint);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> opts = new ArrayList<>(options);
        if (loops.size() > 1) for (String l : loops) opts.add("device=" + l);
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", "btrfs"));
        if (!opts.isEmpty()) cmd.addAll(List.of("-o", String.join(",", opts)));
        cmd.add(loops.get(0));
        cmd.add(mountpoint.toString());
        Proc.Result r = Proc.run(cmd, CMD_TIMEOUT);
        if (!r.ok()) {
            // the kernel's reason is in the log; include its tail when readable
            Proc.Result dmesg = Proc.run(List.of("dmesg", "--notime"), Duration.ofSeconds(10));
            String tail = dmesg.ok() ? lastLines(dmesg.stdout(), 8) : "";
            throw new IllegalStateException("mount failed: " + r.describe() + "\nkernel log tail:\n" + tail);
        }
        Mounted m = new Mounted(images, loops, mountpoint);
        LIVE.add(m);
        return m;
    }

    private static void forget(String dev) {
        Proc.run(List.of("btrfs", "device", "scan", "--forget", dev), CMD_TIMEOUT);
    }

    /** A mounted loop filesystem. {@link #close()} unmounts, forgets and detaches the devices. */
    public static final class Mounted implements AutoCloseable {
        private final List<Path> images;
        private final List<String> loops;
        private final Path mountpoint;
        private boolean closed;

        private Mounted(List<Path> images, List<String> loops, Path mountpoint) {
            this.images = List.copyOf(images);
            this.loops = List.copyOf(loops);
            this.mountpoint = mountpoint;
        }

        public Path mountpoint() { return mountpoint; }

        /** The (first) backing image file. */
        public Path image() { return images.get(0); }

        public List<Path> images() { return images; }

        /** The (first) loop device, e.g. /dev/loop3. */
        public String loopDevice() { return loops.get(0); }

        public List<String> loopDevices() { return loops; }

        /** A path inside the mount; {@code rel} must be relative and must not contain "..". */
        public Path resolve(String rel) {
            Path p = Path.of(rel);
            if (p.isAbsolute() || rel.contains("..")) throw new IllegalArgumentException("not a safe relative path: " + rel);
            return mountpoint.resolve(p);
        }

        /** Runs a command, throwing on failure. */
        public Proc.Result run(String... cmd) {
            return Proc.run(List.of(cmd), CMD_TIMEOUT).requireOk();
        }

        /** {@code btrfs subvolume create}. */
        public Path subvolumeCreate(String rel) {
            Path p = resolve(rel);
            run("btrfs", "subvolume", "create", p.toString());
            return p;
        }

        /** {@code btrfs subvolume snapshot [-r] src dst}. */
        public Path snapshot(String srcRel, String dstRel, boolean readOnly) {
            Path dst = resolve(dstRel);
            List<String> cmd = new ArrayList<>(List.of("btrfs", "subvolume", "snapshot"));
            if (readOnly) cmd.add("-r");
            cmd.add(resolve(srcRel).toString());
            cmd.add(dst.toString());
            Proc.run(cmd, CMD_TIMEOUT).requireOk();
            return dst;
        }

        /** {@code cp --reflink=always src dst} (shared data extents). */
        public Path reflink(String srcRel, String dstRel) {
            Path dst = resolve(dstRel);
            run("cp", "--reflink=always", resolve(srcRel).toString(), dst.toString());
            return dst;
        }

        /** {@code chattr FLAGS path}, e.g. {@code "+c"} (compress new data) or {@code "+C"} (nodatacow). */
        public void chattr(String rel, String flags) {
            run("chattr", flags, resolve(rel).toString());
        }

        /** {@code fallocate -l LEN}: preallocated (unwritten) extents. */
        public Path fallocate(String rel, long len) {
            Path p = resolve(rel);
            run("fallocate", "-l", Long.toString(len), p.toString());
            return p;
        }

        /** Creates parent directories and writes {@code data} (no sync). */
        public Path writeFile(String rel, byte[] data) {
            Path p = resolve(rel);
            try {
                Files.createDirectories(p.getParent());
                Files.write(p, data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return p;
        }

        /** Writes {@code data} at {@code offset} (leaving a hole before it if the file was shorter). */
        public Path writeAt(String rel, long offset, byte[] data) {
            Path p = resolve(rel);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(data), offset);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return p;
        }

        /**
         * Writes (or appends) {@code data} and fsyncs the file ({@link FileChannel#force}): after a full commit
         * this goes to the log tree instead of a new transaction.
         */
        public Path fsyncWrite(String rel, byte[] data, boolean append) {
            Path p = resolve(rel);
            try {
                Files.createDirectories(p.getParent());
                try (FileChannel ch = append
                        ? FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                        : FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer b = ByteBuffer.wrap(data);
                    while (b.hasRemaining()) ch.write(b);
                    ch.force(true);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return p;
        }

        /** fsync of a directory (logs its entries). */
        public void fsyncDir(String rel) {
            try (FileChannel ch = FileChannel.open(rel.isEmpty() ? mountpoint : resolve(rel), StandardOpenOption.READ)) {
                ch.force(true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Sets xattr {@code user.<name>}. */
        public void setXattr(String rel, String name, byte[] value) {
            try {
                TreeGenerator.setUserXattr(resolve(rel), name, value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** {@code btrfs filesystem sync}: commits the transaction of this filesystem only (not a global sync). */
        public void sync() {
            run("btrfs", "filesystem", "sync", mountpoint.toString());
        }

        /**
         * {@code cp --sparse=always} of the backing image while mounted (first device). Writes through the loop
         * device land in the backing file's page cache, so the copy sees everything written so far.
         */
        public Path copyBackingImage(Path dest) {
            Proc.run(List.of("cp", "--sparse=always", image().toString(), dest.toString()), CMD_TIMEOUT).requireOk();
            return dest;
        }

        /** Unmounts (idempotent), forgets the devices in the kernel's btrfs registry and detaches the loops. */
        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            try {
                boolean unmounted = false;
                Proc.Result r = null;
                for (int attempt = 0; attempt < 5 && !unmounted; attempt++) {
                    r = Proc.run(List.of("umount", mountpoint.toString()), CMD_TIMEOUT);
                    unmounted = r.ok() || !isMountpoint(mountpoint);
                    if (!unmounted) sleep(200L * (attempt + 1));
                }
                if (!unmounted) {
                    System.err.println("KernelFs: umount failed, using umount -l: " + r.describe());
                    Proc.run(List.of("umount", "-l", mountpoint.toString()), CMD_TIMEOUT);
                }
            } finally {
                for (String l : loops) forget(l);
                for (String l : loops) detachLoop(l);
                LIVE.remove(this);
                try {
                    Files.deleteIfExists(mountpoint);
                } catch (IOException ignored) {
                    // left for @TempDir cleanup
                }
            }
        }
    }

    /** True if {@code dir} is currently a mount point (per /proc/self/mountinfo). */
    public static boolean isMountpoint(Path dir) {
        try {
            String target = dir.toAbsolutePath().normalize().toString();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && unescapeMountinfo(f[4]).equals(target)) return true;
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static String unescapeMountinfo(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    // ------------------------------------------------------------------ high level

    public static Builder builder(Path workDir) {
        return new Builder(workDir);
    }

    /** A kernel-written filesystem; {@code logTreeImage} is null unless {@link Builder#logTree(boolean)}. */
    public record Result(Path image, Path logTreeImage) {
        public boolean hasLogTreeImage() {
            return logTreeImage != null;
        }
    }

    /**
     * Makes an image with mkfs, loop-mounts it, writes content, syncs, optionally copies a log-tree image, and
     * unmounts. Default content ({@link #standardContent}): plain and inline files, a hole, a preallocated
     * extent, zstd-compressed extents (mount option) and a {@code chattr +c} directory, xattrs, subvolume
     * {@code subvol} with nested subvolume {@code subvol/nested}, snapshots {@code snap-rw} and {@code snap-ro}
     * (modified after snapshotting, so tree blocks are shared and then COWed), reflinked copies within and across
     * subvolumes.
     */
    public static final class Builder {
        private final Path workDir;
        private String name = "kernel";
        private Long size;
        private Consumer<Mkfs> mkfsOptions = m -> { };
        private final List<String> mountOptions = new ArrayList<>();
        private String compress = "zstd";
        private boolean standardContent = true;
        private TreeGenerator tree;
        private Populator populate;
        private boolean logTree;
        private Populator logTreeWrites;
        private boolean spaceCacheV1;
        private long seed = 42;

        private Builder(Path workDir) {
            this.workDir = Objects.requireNonNull(workDir);
        }

        /** Base name of the files made in workDir ({@code NAME.img}, {@code NAME-log.img}). */
        public Builder name(String v) { this.name = v; return this; }

        /** Image size (sparse); default 1 GiB, 2 GiB with {@link #spaceCacheV1}. */
        public Builder size(long bytes) { this.size = bytes; return this; }

        /** Extra mkfs settings, e.g. {@code m -> m.nodesize(4096).csum("xxhash")}. */
        public Builder mkfs(Consumer<Mkfs> v) { this.mkfsOptions = Objects.requireNonNull(v); return this; }

        /** Additional mount options (e.g. "commit=3600", "nodiscard"). */
        public Builder mountOptions(String... v) { mountOptions.addAll(List.of(v)); return this; }

        /** {@code compress=TYPE} mount option (zstd by default; null for none). */
        public Builder compress(String v) { this.compress = v; return this; }

        /** Whether to write the default content (see the class comment). Default true. */
        public Builder standardContent(boolean v) { this.standardContent = v; return this; }

        /** Also generates this tree into {@code tree/} of the mounted filesystem (written by the kernel). */
        public Builder tree(TreeGenerator v) { this.tree = v; return this; }

        /** Custom content, run after the standard content and before the sync. */
        public Builder populate(Populator v) { this.populate = v; return this; }

        /**
         * Also produce {@link Result#logTreeImage()}: mounted with {@code commit=3600}; after a full sync, files are
         * written/modified and fsynced (or {@link #logTreeWrites} runs), then the backing image is copied while
         * still mounted. The copy's superblock is checked to have {@code log_root != 0} (retried a few times in
         * case a concurrent global sync committed the transaction in between).
         */
        public Builder logTree(boolean v) { this.logTree = v; return this; }

        /** Replaces the default post-sync fsync writes of {@link #logTree}. It must fsync something. */
        public Builder logTreeWrites(Populator v) { this.logTreeWrites = v; this.logTree = true; return this; }

        /**
         * v1 free space cache: mkfs {@code -R ^free-space-tree}, mount {@code space_cache=v1}. The kernel writes
         * cache inodes + FREE_SPACE items (root tree) and their data extents at commit, but only for block groups
         * of at least 100 MiB, hence the 2 GiB default size. (Kernel 6.x logs a deprecation warning for v1.)
         */
        public Builder spaceCacheV1(boolean v) { this.spaceCacheV1 = v; return this; }

        /** Seed for the random content. */
        public Builder seed(long v) { this.seed = v; return this; }

        public Result build() {
            try {
                Files.createDirectories(workDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path img = workDir.resolve(name + ".img");
            Mkfs mkfs = Mkfs.image(img).size(size != null ? size : spaceCacheV1 ? 2L << 30 : 1L << 30);
            if (spaceCacheV1) mkfs.runtimeFeatures("^free-space-tree");
            mkfsOptions.accept(mkfs);
            mkfs.run();

            List<String> opts = new ArrayList<>();
            if (compress != null) opts.add("compress=" + compress);
            if (spaceCacheV1) opts.add("space_cache=v1");
            if (logTree) opts.add("commit=3600");
            opts.addAll(mountOptions);
            Path logCopy = null;
            try (Mounted m = mountDevices(List.of(img), workDir.resolve(name + "-mnt"), opts)) {
                if (standardContent) KernelFs.standardContent(m, seed);
                if (tree != null) tree.generate(m.resolve("tree"));
                if (populate != null) populate.populate(m);
                m.sync();
                if (logTree) logCopy = makeLogCopy(m, workDir.resolve(name + "-log.img"));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("populating " + img + " failed", e);
            }
            return new Result(img, logCopy);
        }

        private Path makeLogCopy(Mounted m, Path dest) throws Exception {
            String lastLogRoot = null;
            for (int attempt = 0; attempt < 4; attempt++) {
                if (logTreeWrites != null) {
                    if (attempt > 0) m.sync();
                    logTreeWrites.populate(m);
                }
                else defaultLogWrites(m, attempt);
                m.copyBackingImage(dest);
                lastLogRoot = RefTool.superFields(dest).get("log_root");
                if (lastLogRoot != null && !lastLogRoot.equals("0")) return dest;
            }
            throw new IllegalStateException("copy taken after fsync has log_root=" + lastLogRoot
                    + " (a transaction commit raced with the copy 4 times?)");
        }
    }

    /**
     * The log-tree writes used by {@link Builder#logTree}, after a full commit: only operations the kernel logs
     * without falling back to a transaction commit (files and directories involved exist before the commit).
     * Round {@code r} prepares its files, commits, then modifies them with fsync: an append to an inline file, an
     * overwrite of a regular extent (file extent + csum items in the log), a new file in an existing directory
     * (dir items), an xattr change, a rename, and a new file in subvolume {@code subvol} (a second log tree).
     */
    static void defaultLogWrites(Mounted m, int round) {
        String r = "r" + round;
        SplittableRandom rnd = new SplittableRandom(round);
        byte[] big = new byte[256 * 1024];
        rnd.nextBytes(big);
        // prepare, then commit
        m.writeFile("logtree/" + r + "/appended.txt", "before the commit\n".getBytes(StandardCharsets.UTF_8));
        m.writeFile("logtree/" + r + "/data.bin", big);
        m.writeFile("logtree/" + r + "/rename-me", "to be renamed\n".getBytes(StandardCharsets.UTF_8));
        m.writeFile("subvol/logtree-" + r + "/keep", "x".getBytes(StandardCharsets.UTF_8));
        m.sync();
        // logged changes
        m.fsyncWrite("logtree/" + r + "/appended.txt", ("append " + r + "\n").repeat(50).getBytes(StandardCharsets.UTF_8),
                true);
        rnd.nextBytes(big);
        m.writeAt("logtree/" + r + "/data.bin", 64 * 1024, slice(big, 0, 128 * 1024));
        m.fsyncWrite("logtree/" + r + "/data.bin", new byte[0], true);
        m.fsyncWrite("logtree/" + r + "/new-file.txt", ("new file " + r + "\n").getBytes(StandardCharsets.UTF_8), false);
        m.setXattr("logtree/" + r + "/appended.txt", "logged." + r, ("xattr " + r).getBytes(StandardCharsets.UTF_8));
        m.fsyncWrite("logtree/" + r + "/appended.txt", "after-xattr\n".getBytes(StandardCharsets.UTF_8), true);
        try {
            Files.move(m.resolve("logtree/" + r + "/rename-me"), m.resolve("logtree/" + r + "/renamed"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        m.fsyncWrite("logtree/" + r + "/renamed", new byte[0], true);
        m.fsyncDir("logtree/" + r);
        m.fsyncWrite("subvol/logtree-" + r + "/logged", "subvolume log tree\n".getBytes(StandardCharsets.UTF_8), false);
    }

    /** The default content of {@link Builder#standardContent(boolean)}. */
    public static void standardContent(Mounted m, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] text = "The quick brown fox jumps over the lazy dog. 0123456789\n".repeat(20000)
                .getBytes(StandardCharsets.UTF_8); // ~1.1 MB, very compressible
        byte[] random = new byte[1 << 20];
        rnd.nextBytes(random);

        m.writeFile("files/inline.txt", "small inline file\n".getBytes(StandardCharsets.UTF_8));
        m.writeFile("files/empty", new byte[0]);
        m.writeFile("files/random.bin", random);
        m.writeFile("files/compressible.txt", text); // zstd-compressed extents with compress=zstd
        m.writeAt("files/holey.bin", 0, slice(random, 0, 8192));
        m.writeAt("files/holey.bin", 4L << 20, slice(random, 8192, 4096)); // hole between
        m.fallocate("files/prealloc.bin", 3L << 20);
        m.writeAt("files/prealloc.bin", 1L << 20, slice(random, 0, 4096)); // splits the prealloc extent
        Files.createSymbolicLink(m.resolve("files/symlink"), Path.of("random.bin"));
        Files.createLink(m.resolve("files/hardlink"), m.resolve("files/random.bin"));
        m.setXattr("files/inline.txt", "comment", "kernel xattr".getBytes(StandardCharsets.UTF_8));
        m.setXattr("files", "dir.attr", new byte[300]);

        Files.createDirectories(m.resolve("chattr-c"));
        m.chattr("chattr-c", "+c"); // inherited by new files
        m.writeFile("chattr-c/compressed.txt", text);

        m.subvolumeCreate("subvol");
        m.writeFile("subvol/data.bin", random);
        m.writeFile("subvol/text.txt", slice(text, 0, 300_000));
        for (int i = 0; i < 200; i++) {
            m.writeFile("subvol/many/f" + i, ("file " + i + "\n").repeat(1 + i % 40).getBytes(StandardCharsets.UTF_8));
        }
        m.setXattr("subvol", "subvol.attr", "on a subvolume root".getBytes(StandardCharsets.UTF_8));
        m.subvolumeCreate("subvol/nested");
        m.writeFile("subvol/nested/inner.txt", "nested subvolume\n".getBytes(StandardCharsets.UTF_8));
        m.reflink("subvol/data.bin", "subvol/data-reflink.bin"); // same subvolume
        m.reflink("subvol/data.bin", "files/data-reflink-cross.bin"); // across subvolumes

        m.sync();
        m.snapshot("subvol", "snap-rw", false);
        m.snapshot("subvol", "snap-ro", true);
        // diverge after the snapshot: COW of shared tree blocks
        m.writeFile("snap-rw/added-after-snapshot.txt", "only in snap-rw\n".getBytes(StandardCharsets.UTF_8));
        m.writeAt("snap-rw/data.bin", 65536, slice(random, 100, 4096));
        for (int i = 0; i < 200; i += 7) Files.delete(m.resolve("subvol/many/f" + i));
        m.writeFile("subvol/modified-after-snapshot.txt", "only in subvol\n".getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Two-device RAID1 (data and metadata) filesystem: two sparse backing files attached with losetup,
     * {@code mkfs.btrfs -d raid1 -m raid1 loopA loopB}, mounted, written (by {@code populate}, or a few files if
     * null), unmounted and detached.
     */
    public static Raid1 raid1(Path workDir, long sizeEach, Populator populate) {
        List<Path> images = multiDevice(workDir, "raid1", 2, sizeEach, populate);
        return new Raid1(images.get(0), images.get(1));
    }

    /**
     * A kernel-written filesystem of {@code devices} devices with data and metadata in {@code profile}
     * ({@code raid1}, {@code raid5}, {@code raid6}, ...): sparse backing files {@code PROFILE-devN.img} attached
     * with losetup, {@code mkfs.btrfs -d PROFILE -m PROFILE loop...}, mounted, written (by {@code populate}, or a
     * few files if null), unmounted and detached. Returns the backing files in devid order.
     */
    public static List<Path> multiDevice(Path workDir, String profile, int devices, long sizeEach, Populator populate) {
        List<Path> images = new ArrayList<>();
        for (int i = 1; i <= devices; i++) images.add(workDir.resolve(profile + "-dev" + i + ".img"));
        List<String> loops = new ArrayList<>();
        try {
            Files.createDirectories(workDir);
            for (Path p : images) {
                try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                    raf.setLength(0);
                    raf.setLength(sizeEach);
                }
            }
            for (Path p : images) loops.add(attachLoop(p));
            Mkfs.devices(loops.stream().map(Path::of).toArray(Path[]::new)).data(profile).metadata(profile).run();
        } catch (IOException e) {
            for (String l : loops) detachLoop(l);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            for (String l : loops) {
                forget(l);
                detachLoop(l);
            }
            throw e;
        }
        // from here the Mounted owns the loop devices
        try (Mounted m = mountLoops(images, loops, workDir.resolve(profile + "-mnt"), List.of())) {
            if (populate != null) {
                populate.populate(m);
            } else {
                byte[] data = new byte[512 * 1024];
                new SplittableRandom(7).nextBytes(data);
                m.writeFile(profile + "/data.bin", data);
                for (int i = 0; i < 50; i++) {
                    m.writeFile(profile + "/small" + i, (profile + " file " + i + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            m.sync();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("populating " + profile + " failed", e);
        }
        return List.copyOf(images);
    }

    /** The two backing files of a RAID1 filesystem (devid 1 and 2). */
    public record Raid1(Path image1, Path image2) {
        public List<Path> images() {
            return List.of(image1, image2);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] slice(byte[] b, int off, int len) {
        byte[] r = new byte[len];
        System.arraycopy(b, off, r, 0, len);
        return r;
    }

    private static String lastLines(String s, int n) {
        String[] lines = s.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - n), lines.length));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Recursively deletes {@code dir}, refusing to descend into mount points. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            List<Path> all = s.sorted(Collections.reverseOrder()).toList();
            for (Path p : all) {
                if (Files.isDirectory(p) && isMountpoint(p)) {
                    throw new IllegalStateException("refusing to delete mounted " + p);
                }
            }
            for (Path p : all) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort
        }
    }
}
