package io.sparkbtrfs.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Builder around {@code mkfs.btrfs} (btrfs-progs 6.2 option names). Image files are created sparse with the
 * requested size ({@link #size}); block devices (e.g. loop devices) are used as they are. Always passes
 * {@code -f -q}.
 *
 * <pre>{@code
 * Path img = Mkfs.image(dir.resolve("fs.img")).size(512L << 20).nodesize(4096).metadata("dup")
 *         .rootdir(tree).run();
 * }</pre>
 *
 * Notes for btrfs-progs 6.2: checksums are {@code crc32c, xxhash, sha256, blake2} ({@code --csum});
 * {@code -O list-all}: mixed-bg, extref, raid56, skinny-metadata, no-holes, raid1c34, zoned;
 * {@code -R list-all}: quota, free-space-tree. Defaults are metadata DUP (single device), no-holes and
 * free-space-tree. {@code -R ^free-space-tree} makes a filesystem with neither free space tree nor v1 cache: the
 * v1 cache items (FREE_SPACE objects in the root tree + cache inodes) only appear after the kernel mounts it with
 * {@code space_cache=v1} and commits (see {@link KernelFs.Builder#spaceCacheV1}).
 */
public final class Mkfs {

    /** Default size of image files: sparse, so it costs nothing on disk. */
    public static final long DEFAULT_SIZE = 512L << 20;

    private static final Set<String> CSUMS = Set.of("crc32c", "xxhash", "xxhash64", "sha256", "blake2", "blake2b");
    private static final Set<String> PROFILES =
            Set.of("single", "dup", "raid0", "raid1", "raid1c3", "raid1c4", "raid5", "raid6", "raid10");

    private final List<Path> targets;
    private long size = DEFAULT_SIZE;
    private boolean sizeSet;
    private Path rootdir;
    private boolean shrink;
    private Integer nodesize;
    private Integer sectorsize;
    private String metadata;
    private String data;
    private boolean mixed;
    private String csum;
    private String label;
    private String uuid;
    private final List<String> features = new ArrayList<>();
    private final List<String> runtimeFeatures = new ArrayList<>();
    private final List<String> extraArgs = new ArrayList<>();
    private Duration timeout = Duration.ofMinutes(2);

    private Mkfs(List<Path> targets) {
        this.targets = List.copyOf(targets);
    }

    /** A single image file (created or truncated to {@link #size}, sparse). */
    public static Mkfs image(Path file) {
        return new Mkfs(List.of(file));
    }

    /** One or more targets: image files (sized as for {@link #image}) or existing block devices. */
    public static Mkfs devices(Path... targets) {
        if (targets.length == 0) throw new IllegalArgumentException("no devices");
        return new Mkfs(List.of(targets));
    }

    /** Size of each image file in bytes (block devices are not resized). */
    public Mkfs size(long bytes) {
        if (bytes < (16L << 20)) throw new IllegalArgumentException("btrfs needs at least ~16 MiB: " + bytes);
        this.size = bytes;
        this.sizeSet = true;
        return this;
    }

    /** {@code --rootdir DIR}: populate from a host directory. */
    public Mkfs rootdir(Path dir) { this.rootdir = dir; return this; }

    /** {@code --shrink} (with --rootdir): shrink the image to the minimal size. */
    public Mkfs shrink(boolean v) { this.shrink = v; return this; }

    /** {@code -n}: 4096..65536, power of two, >= sectorsize. */
    public Mkfs nodesize(int bytes) {
        if (Integer.bitCount(bytes) != 1 || bytes < 4096 || bytes > 65536) {
            throw new IllegalArgumentException("bad nodesize " + bytes);
        }
        this.nodesize = bytes;
        return this;
    }

    /** {@code -s}: 4096 is what this kernel can mount (page size). */
    public Mkfs sectorsize(int bytes) { this.sectorsize = bytes; return this; }

    /** {@code -m PROFILE}. */
    public Mkfs metadata(String profile) { this.metadata = profile(profile); return this; }

    /** {@code -d PROFILE}. */
    public Mkfs data(String profile) { this.data = profile(profile); return this; }

    /** {@code --mixed}: mixed block groups; needs nodesize == sectorsize and equal data/metadata profiles. */
    public Mkfs mixed(boolean v) { this.mixed = v; return this; }

    /** {@code --csum}: crc32c, xxhash, sha256, blake2. */
    public Mkfs csum(String type) {
        if (!CSUMS.contains(type)) throw new IllegalArgumentException("unknown checksum " + type + "; one of " + CSUMS);
        this.csum = type;
        return this;
    }

    /** {@code -L}. */
    public Mkfs label(String v) { this.label = v; return this; }

    /** {@code -U}. */
    public Mkfs uuid(String v) { this.uuid = v; return this; }

    /** {@code -O a,b,^c} (accumulates). */
    public Mkfs features(String... f) { features.addAll(List.of(f)); return this; }

    /** {@code -R a,^b} (accumulates), e.g. {@code "^free-space-tree"} or {@code "quota"}. */
    public Mkfs runtimeFeatures(String... f) { runtimeFeatures.addAll(List.of(f)); return this; }

    /** Extra raw arguments placed before the targets. */
    public Mkfs extraArgs(String... a) { extraArgs.addAll(List.of(a)); return this; }

    public Mkfs timeout(Duration t) { this.timeout = Objects.requireNonNull(t); return this; }

    /** The command line {@link #run()} will execute. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>(List.of("mkfs.btrfs", "-f", "-q"));
        if (nodesize != null) cmd.addAll(List.of("-n", Integer.toString(nodesize)));
        if (sectorsize != null) cmd.addAll(List.of("-s", Integer.toString(sectorsize)));
        if (metadata != null) cmd.addAll(List.of("-m", metadata));
        if (data != null) cmd.addAll(List.of("-d", data));
        if (mixed) cmd.add("--mixed");
        if (csum != null) cmd.addAll(List.of("--csum", csum));
        if (label != null) cmd.addAll(List.of("-L", label));
        if (uuid != null) cmd.addAll(List.of("-U", uuid));
        if (!features.isEmpty()) cmd.addAll(List.of("-O", String.join(",", features)));
        if (!runtimeFeatures.isEmpty()) cmd.addAll(List.of("-R", String.join(",", runtimeFeatures)));
        if (rootdir != null) cmd.addAll(List.of("--rootdir", rootdir.toString()));
        if (shrink) cmd.add("--shrink");
        cmd.addAll(extraArgs);
        for (Path t : targets) cmd.add(t.toString());
        return cmd;
    }

    /**
     * Creates sparse image files as needed and runs mkfs.btrfs.
     *
     * @return the first target (the image file)
     * @throws MkfsException with mkfs's stderr when it fails
     */
    public Path run() {
        validate();
        for (Path t : targets) {
            if (isBlockDevice(t)) continue;
            try {
                if (t.getParent() != null) Files.createDirectories(t.getParent());
                try (RandomAccessFile raf = new RandomAccessFile(t.toFile(), "rw")) {
                    raf.setLength(0); // drop old contents and blocks
                    raf.setLength(size); // sparse
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create image file " + t, e);
            }
        }
        Proc.Result r = Proc.run(command(), timeout);
        if (!r.ok()) throw new MkfsException(r);
        return targets.get(0);
    }

    private void validate() {
        if (mixed) {
            int ss = sectorsize == null ? 4096 : sectorsize;
            if (nodesize != null && nodesize != ss) {
                throw new IllegalArgumentException("--mixed needs nodesize == sectorsize, got nodesize " + nodesize
                        + " sectorsize " + ss);
            }
            if (metadata != null && data != null && !metadata.equals(data)) {
                throw new IllegalArgumentException("--mixed needs equal data and metadata profiles");
            }
        }
        if (shrink && rootdir == null) throw new IllegalArgumentException("--shrink requires --rootdir");
        if (rootdir != null && !Files.isDirectory(rootdir)) throw new IllegalArgumentException("no such dir " + rootdir);
        if (sizeSet && targets.stream().allMatch(Mkfs::isBlockDevice)) {
            throw new IllegalArgumentException("size() applies only to image files");
        }
    }

    private static String profile(String p) {
        String v = p.toLowerCase();
        if (!PROFILES.contains(v)) throw new IllegalArgumentException("unknown profile " + p + "; one of " + PROFILES);
        return v;
    }

    static boolean isBlockDevice(Path p) {
        return p.startsWith("/dev/") && Files.exists(p) && !Files.isRegularFile(p) && !Files.isDirectory(p);
    }

    /** mkfs.btrfs exited non-zero or timed out; the message contains its stderr. */
    public static final class MkfsException extends RuntimeException {
        private final Proc.Result result;

        MkfsException(Proc.Result r) {
            super("mkfs.btrfs failed (" + (r.timedOut() ? "timeout" : "exit " + r.exitCode()) + "): "
                    + r.stderr().strip() + "\ncommand: " + String.join(" ", r.command())
                    + (r.stdout().isBlank() ? "" : "\nstdout: " + r.stdout().strip()));
            this.result = r;
        }

        public Proc.Result result() {
            return result;
        }
    }
}
