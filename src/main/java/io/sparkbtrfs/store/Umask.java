package io.sparkbtrfs.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * The process's file-creation mask, which Java cannot ask for directly, and the permissions of the files we
 * create: an image of a 0600 device must not become world-readable because Hadoop applies its own default
 * mask (022) instead of the user's.
 */
public final class Umask {
    private static final int UMASK = read();

    private Umask() {
    }

    /** The umask this process started with (from {@code /proc/self/status}, Linux 4.7 and later). */
    public static int current() {
        return UMASK;
    }

    /** Mode bits of a new regular file: {@code 0666 & ~umask}. */
    public static int fileMode() {
        return 0666 & ~UMASK;
    }

    /**
     * Mode bits of an image of {@code sourceModes}: the umask's, and no group or other permission that a
     * source lacks (the owner keeps read and write: the image is theirs).
     */
    public static int imageMode(int... sourceModes) {
        int mode = fileMode();
        for (int m : sourceModes) {
            mode &= 0600 | (m & 0066);
        }
        return mode;
    }

    /** The umask in the octal form of Hadoop's {@code fs.permissions.umask-mode}. */
    public static String hadoopForm() {
        return String.format("%03o", UMASK);
    }

    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE: 0400 .. 0001
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    /** The permission bits of an existing local file (0 if they cannot be read). */
    public static int modeOf(Path path) {
        try {
            Object m = Files.getAttribute(path, "unix:mode");
            return m instanceof Integer i ? i & 07777 : 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return 0;
        }
    }

    static int parse(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Umask:")) {
                try {
                    return Integer.parseInt(line.substring(6).trim(), 8) & 0777;
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static int read() {
        try {
            int u = parse(Files.readString(Path.of("/proc/self/status")));
            if (u >= 0) {
                return u;
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: ask the file system instead
        }
        return probe();
    }

    /** Creates a file without asking for a mode, so that the kernel applies the umask to 0666, and reads it. */
    private static int probe() {
        Path p = Path.of(System.getProperty("java.io.tmpdir"), ".btrfs-image-umask-" + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(p);
            Files.createFile(p);
            return ~modeOf(p) & 0666;
        } catch (IOException | RuntimeException e) {
            return 077; // cannot tell: the narrowest
        } finally {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a probe file in the temporary directory
            }
        }
    }
}
