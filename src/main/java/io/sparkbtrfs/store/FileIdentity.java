package io.sparkbtrfs.store;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.sparkbtrfs.device.BlockSources;

/**
 * What a name the user typed (a path, a {@code file:} URI or another URI) refers to, as a set of keys: two
 * names that share a key are the same storage, so writing one destroys the other. Catches what comparing
 * strings cannot: symbolic and hard links, {@code file:///abs/x} against {@code x}, two device nodes of one
 * device, a loop device and its backing file, a disk and its partitions.
 */
public final class FileIdentity {
    private final String name;
    private final Set<String> keys;

    private FileIdentity(String name, Set<String> keys) {
        this.name = name;
        this.keys = keys;
    }

    /** The identity of {@code spec}; for a name that does not exist yet, its absolute normalized path. */
    public static FileIdentity of(String spec) {
        Set<String> keys = new LinkedHashSet<>();
        Path local = localPath(spec);
        if (local == null) {
            keys.add("uri:" + normalizedUri(spec));
            return new FileIdentity(spec, keys);
        }
        addLocal(local, keys);
        return new FileIdentity(spec, keys);
    }

    /** Whether writing one of the two would write the other. */
    public boolean overlaps(FileIdentity other) {
        for (String k : keys) {
            if (other.keys.contains(k)) {
                return true;
            }
        }
        return false;
    }

    public String name() {
        return name;
    }

    /** The block devices ({@code major:minor}) this name writes: itself and its partitions; empty if none. */
    public Set<String> blockDevices() {
        Set<String> out = new LinkedHashSet<>();
        for (String k : keys) {
            if (k.startsWith("blk:")) {
                out.add(k.substring(4));
            }
        }
        return out;
    }

    /**
     * The local path that {@code spec} names: a plain path, or a {@code file:} URI; null for other URIs and
     * for standard input/output ({@code -}).
     */
    public static Path localPath(String spec) {
        if ("-".equals(spec)) {
            return null;
        }
        try {
            if (BlockSources.isUri(spec)) {
                URI uri = URI.create(spec);
                return "file".equalsIgnoreCase(uri.getScheme()) ? Path.of(uri.getPath()) : null;
            }
            return Path.of(spec);
        } catch (IllegalArgumentException e) { // InvalidPathException too
            return null;
        }
    }

    private static String normalizedUri(String spec) {
        try {
            URI u = URI.create(spec).normalize();
            String path = u.getPath() == null ? "" : u.getPath().replaceAll("/+$", "");
            return (u.getScheme() + "://" + (u.getAuthority() == null ? "" : u.getAuthority()) + path).toLowerCase();
        } catch (IllegalArgumentException e) {
            return spec;
        }
    }

    private static void addLocal(Path path, Set<String> keys) {
        Path abs = path.toAbsolutePath().normalize();
        try {
            Map<String, Object> a = Files.readAttributes(abs, "unix:dev,ino,mode,rdev");
            int mode = (Integer) a.get("mode");
            if ((mode & 0170000) == 0060000) { // block device
                addBlockDevice((Long) a.get("rdev"), keys);
            } else {
                keys.add("inode:" + a.get("dev") + ":" + a.get("ino"));
                if ((mode & 0170000) == 0020000) { // character device: two nodes of one device are one device
                    keys.add("chr:" + a.get("rdev"));
                }
            }
        } catch (IOException | RuntimeException e) {
            // does not exist (yet): the real path of its directory and its name
            keys.add("path:" + realParent(abs));
        }
    }

    private static String realParent(Path abs) {
        Path parent = abs.getParent();
        if (parent == null) {
            return abs.toString();
        }
        try {
            return parent.toRealPath().resolve(abs.getFileName()).toString();
        } catch (IOException e) {
            return abs.toString();
        }
    }

    /**
     * A block device, its partitions (writing a disk writes them; a partition's siblings are not written), and
     * for a loop device the file behind it (which is what a loop device writes to).
     */
    private static void addBlockDevice(long rdev, Set<String> keys) {
        String majMin = major(rdev) + ":" + minor(rdev);
        keys.add("blk:" + majMin);
        Path sys = Path.of("/sys/dev/block", majMin);
        try {
            Path real = sys.toRealPath();
            try (Stream<Path> children = Files.list(real)) {
                children.filter(c -> Files.exists(c.resolve("partition"))).forEach(
                        c -> readDev(c).ifPresent(d -> keys.add("blk:" + d)));
            }
            Path backing = real.resolve("loop/backing_file");
            if (Files.isReadable(backing)) {
                String file = Files.readString(backing).trim();
                if (!file.isEmpty() && !file.endsWith("(deleted)")) {
                    Map<String, Object> a = Files.readAttributes(Path.of(file), "unix:dev,ino",
                            LinkOption.NOFOLLOW_LINKS);
                    keys.add("inode:" + a.get("dev") + ":" + a.get("ino"));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no sysfs: the device number alone
        }
    }

    private static java.util.Optional<String> readDev(Path sysDir) {
        try {
            return java.util.Optional.of(Files.readString(sysDir.resolve("dev")).trim());
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** Linux's encoding of dev_t (glibc's gnu_dev_major/minor). */
    static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & 0xfffff000L);
    }

    static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & 0xffffff00L);
    }

    @Override
    public String toString() {
        return name + " " + keys;
    }
}
