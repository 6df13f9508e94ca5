package io.sparkbtrfs.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Whether a block device is in use by the kernel: mounted (directly, as a partition of it or it a partition of
 * one, or as any member of a mounted multi-device btrfs), held by another device (device mapper, md), or used for
 * swap. What {@code open(O_EXCL)} tells C programs, which Java cannot ask; btrfs-progs 6.11 and later refuse to
 * restore onto such a device, and so do we.
 */
public final class DeviceUse {
    private DeviceUse() {
    }

    /** Why {@code device} is in use, or null if it is not (or is not a block device). */
    public static String inUse(Path device) {
        Set<String> mine = FileIdentity.of(device.toString()).blockDevices();
        if (mine.isEmpty()) {
            return null;
        }
        String mounted = mountedBtrfsMember(mine);
        if (mounted != null) {
            return mounted;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                int dash = line.indexOf(" - ");
                String[] head = line.split(" ");
                if (dash < 0 || head.length < 5) {
                    continue;
                }
                String[] tail = line.substring(dash + 3).split(" ");
                if (mine.contains(head[2]) || (tail.length > 1 && tail[1].startsWith("/")
                        && mine.stream().anyMatch(FileIdentity.of(unescape(tail[1])).blockDevices()::contains))) {
                    return "mounted on " + unescape(head[4]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: cannot tell
        }
        for (String majMin : mine) {
            Path holders = Path.of("/sys/dev/block", majMin, "holders");
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(holders)) {
                for (Path h : ds) {
                    return "held by " + h.getFileName();
                }
            } catch (IOException e) {
                // none
            }
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/swaps"))) {
                String dev = line.split("\\s+")[0];
                if (dev.startsWith("/") && mine.stream().anyMatch(FileIdentity.of(dev).blockDevices()::contains)) {
                    return "used for swap";
                }
            }
        } catch (IOException | RuntimeException e) {
            // no swap information
        }
        return null;
    }

    /** Members of mounted btrfs filesystems are listed in sysfs, whatever device name the mount shows. */
    private static String mountedBtrfsMember(Set<String> mine) {
        try (DirectoryStream<Path> filesystems = Files.newDirectoryStream(Path.of("/sys/fs/btrfs"))) {
            for (Path fs : filesystems) {
                Path devices = fs.resolve("devices");
                if (!Files.isDirectory(devices)) {
                    continue;
                }
                try (DirectoryStream<Path> members = Files.newDirectoryStream(devices)) {
                    for (Path m : members) {
                        Path dev = m.resolve("dev");
                        if (Files.isReadable(dev) && mine.contains(Files.readString(dev).trim())) {
                            return "a device of the mounted btrfs filesystem " + fs.getFileName();
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // btrfs not loaded, or no sysfs
        }
        return null;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
