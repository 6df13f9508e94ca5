package io.sparkbtrfs.device;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which files and block devices mounted filesystems are using, on this machine: a block device mounted
 * itself, or a file (or device) that backs a loop device (or one of its partitions) that is mounted. Read
 * from {@code /proc/self/mountinfo} and {@code /sys/block/loop*}; files are compared by identity (device
 * and inode; block devices by device number), never by name. btrfs reports an anonymous device number in
 * mountinfo, so a mount's source device is also compared by the device number of its node.
 *
 * <pre>{@code
 * Optional<MountTable.Mount> m = MountTable.read().find(Path.of("fs.img"));
 * m.get().describe();   // "the backing file of /dev/loop0, mounted on /mnt"
 * }</pre>
 */
public final class MountTable {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private final List<Entry> mounts;
    private final Path sysBlock;

    /** One line of mountinfo: the device number it reports, its source, where, which filesystem. */
    private record Entry(long majorMinor, String source, String mountPoint, String fsType) {
    }

    /** A mounted filesystem that uses the file asked about, directly or through {@code loopDevice}. */
    public record Mount(String device, String mountPoint, String fsType, String loopDevice) {
        /** Whether the file was found as the backing file of a loop device rather than mounted itself. */
        public boolean throughLoop() {
            return loopDevice != null;
        }

        /** For messages: "mounted on /mnt", or "the backing file of /dev/loop0, mounted on /mnt". */
        public String describe() {
            String on = "mounted on " + mountPoint;
            return throughLoop() ? "the backing file of " + loopDevice + ", " + on : on;
        }
    }

    private MountTable(List<Entry> mounts, Path sysBlock) {
        this.mounts = mounts;
        this.sysBlock = sysBlock;
    }

    /** This process's view: {@code /proc/self/mountinfo} and {@code /sys/block}. */
    public static MountTable read() throws IOException {
        return of(Files.readString(Path.of("/proc/self/mountinfo")), Path.of("/sys/block"));
    }

    /** A table from mountinfo text and a sysfs {@code block} directory (tests give their own). */
    static MountTable of(String mountinfo, Path sysBlock) {
        List<Entry> entries = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            Entry e = parse(line);
            if (e != null) {
                entries.add(e);
            }
        }
        return new MountTable(List.copyOf(entries), sysBlock);
    }

    /**
     * The mount that uses {@code path} (a regular file or a block device; symbolic links are followed), if
     * any: the file mounted itself, or backing a mounted loop device.
     *
     * @throws NoSuchFileException if {@code path} does not exist
     */
    public Optional<Mount> find(Path path) throws IOException {
        FileId file = FileId.of(path);
        if (file.block()) {
            Optional<Mount> direct = mountOf(file.rdev());
            if (direct.isPresent()) {
                return direct;
            }
        }
        for (LoopDevice loop : loopDevices()) {
            FileId backing;
            try {
                backing = FileId.of(loop.backingFile());
            } catch (IOException e) {
                continue; // deleted or in another mount namespace: not this file
            }
            if (!backing.sameFile(file)) {
                continue;
            }
            for (long dev : loop.deviceNumbers()) {
                Optional<Mount> m = mountOf(dev);
                if (m.isPresent()) {
                    Mount found = m.get();
                    return Optional.of(new Mount(found.device(), found.mountPoint(), found.fsType(), loop.name()));
                }
            }
        }
        return Optional.empty();
    }

    /** The first mount whose device is {@code rdev}: as mountinfo reports it, or as its source node is. */
    private Optional<Mount> mountOf(long rdev) {
        for (Entry e : mounts) {
            if (e.majorMinor() == rdev || (e.source().startsWith("/") && sourceIs(e.source(), rdev))) {
                return Optional.of(new Mount(e.source(), e.mountPoint(), e.fsType(), null));
            }
        }
        return Optional.empty();
    }

    private static boolean sourceIs(String source, long rdev) {
        try {
            FileId id = FileId.of(Path.of(source));
            return id.block() && id.rdev() == rdev;
        } catch (IOException | RuntimeException e) {
            return false; // not a device node here (another namespace, a pseudo source): not ours
        }
    }

    /** An attached loop device: its name, its device numbers (partitions too), its backing file. */
    private record LoopDevice(String name, List<Long> deviceNumbers, Path backingFile) {
    }

    private List<LoopDevice> loopDevices() {
        List<LoopDevice> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(sysBlock, "loop*")) {
            for (Path dir : dirs) {
                Path backing = dir.resolve("loop").resolve("backing_file");
                if (!Files.isRegularFile(backing)) {
                    continue; // not attached
                }
                String name = dir.getFileName().toString();
                List<Long> numbers = new ArrayList<>();
                addDeviceNumber(dir.resolve("dev"), numbers);
                try (DirectoryStream<Path> parts = Files.newDirectoryStream(dir, name + "p*")) {
                    for (Path part : parts) {
                        addDeviceNumber(part.resolve("dev"), numbers);
                    }
                }
                out.add(new LoopDevice("/dev/" + name, numbers, Path.of(Files.readString(backing).strip())));
            }
        } catch (IOException | RuntimeException e) {
            // no sysfs (or a loop device detached while listed): what was listed is all we know
        }
        return out;
    }

    private static void addDeviceNumber(Path devFile, List<Long> out) {
        try {
            long n = parseMajorMinor(Files.readString(devFile).strip());
            if (n >= 0) {
                out.add(n);
            }
        } catch (IOException e) {
            // a partition that went away
        }
    }

    /** A mountinfo line: id parent major:minor root mountpoint options [optional...] - fstype source superoptions. */
    private static Entry parse(String line) {
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 7 || dash < 0 || dash + 2 >= f.length) {
            return null;
        }
        return new Entry(parseMajorMinor(f[2]), unescape(f[dash + 2]), unescape(f[4]), f[dash + 1]);
    }

    /** "8:1" as the kernel's device number encoding; -1 if malformed. */
    static long parseMajorMinor(String s) {
        int colon = s.indexOf(':');
        try {
            long major = Long.parseLong(s.substring(0, colon));
            long minor = Long.parseLong(s.substring(colon + 1));
            return encode(major, minor);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The encoding of st_rdev (glibc's makedev): major and minor interleaved as the kernel's new_encode_dev. */
    static long encode(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /** mountinfo escapes space, tab, newline and backslash as octal ({@code \040}). */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }

    /** A file's identity: device and inode, and for block devices the device they are. */
    private record FileId(long dev, long ino, boolean block, long rdev) {
        static FileId of(Path path) throws IOException {
            Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino,mode,rdev");
            int mode = (Integer) a.get("mode");
            return new FileId((Long) a.get("dev"), (Long) a.get("ino"), (mode & S_IFMT) == S_IFBLK, (Long) a.get("rdev"));
        }

        /** The same file: the same device for block devices, the same inode on the same filesystem otherwise. */
        boolean sameFile(FileId other) {
            return block ? other.block && rdev == other.rdev : !other.block && dev == other.dev && ino == other.ino;
        }
    }
}
