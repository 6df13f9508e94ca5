package io.sparkbtrfs.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Capacity of a Linux block device from sysfs (fstat reports 0 for devices). */
final class BlockDevices {
    private BlockDevices() {
    }

    static long size(Path device) throws IOException {
        long rdev = ((Number) Files.getAttribute(device, "unix:rdev")).longValue();
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        Path sectors = Path.of("/sys/dev/block/" + major + ":" + minor + "/size");
        return Long.parseLong(Files.readString(sectors).trim()) * 512;
    }
}
