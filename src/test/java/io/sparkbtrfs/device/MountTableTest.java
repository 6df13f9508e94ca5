package io.sparkbtrfs.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;

/**
 * {@link MountTable}: which mounted filesystem uses a file or a block device, directly or as the backing
 * file of a loop device. First with a mountinfo text and a sysfs tree of our own over real files (files are
 * matched by identity, not by name), then with a real loop mount (root), where the dump warns as the reference
 * does, naming the loop device and the mount point.
 */
class MountTableTest {
    /** A block device node every Linux system has: /dev/loop-control is a char device; loop0 may be absent. */
    private static Optional<Path> someBlockDevice() throws IOException {
        try (var s = Files.list(Path.of("/dev"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("loop") && isBlock(p)).findFirst();
        }
    }

    private static boolean isBlock(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String rdev(Path p) throws IOException {
        long rdev = (Long) Files.getAttribute(p, "unix:rdev");
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        return major + ":" + minor;
    }

    @Test
    void backingFileOfAMountedLoopDeviceIsFoundByIdentity(@TempDir Path dir) throws IOException {
        Path image = Files.writeString(dir.resolve("fs image.img"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link.img"), image);
        Path other = Files.writeString(dir.resolve("other.img"), "y");
        Path sys = dir.resolve("sys");
        Files.createDirectories(sys.resolve("loop3/loop"));
        Files.writeString(sys.resolve("loop3/dev"), "7:3\n");
        // named through a path with "..": compared by device and inode, not by name
        Files.writeString(sys.resolve("loop3/loop/backing_file"), dir.resolve("sys/../fs image.img") + "\n");
        Files.createDirectories(sys.resolve("loop4/loop")); // detached: no backing_file
        Files.writeString(sys.resolve("loop4/dev"), "7:4\n");
        // btrfs reports an anonymous device number; the source names the loop device. Mount points escape spaces.
        String mountinfo = "22 1 0:21 / /proc rw - proc proc rw\n"
                + "45 26 7:3 / /mnt/a\\040b rw,relatime shared:1 - ext4 /dev/loop3 rw\n";
        MountTable t = MountTable.of(mountinfo, sys);
        Optional<MountTable.Mount> m = t.find(link);
        assertTrue(m.isPresent());
        assertEquals(new MountTable.Mount("/dev/loop3", "/mnt/a b", "ext4", "/dev/loop3"), m.get());
        assertEquals("the backing file of /dev/loop3, mounted on /mnt/a b", m.get().describe());
        assertEquals(Optional.empty(), t.find(other));
        assertEquals(Optional.empty(), MountTable.of("22 1 0:21 / /proc rw - proc proc rw\n", sys).find(image));
        assertThrows(NoSuchFileException.class, () -> t.find(dir.resolve("absent")));
    }

    @Test
    void blockDeviceMountedDirectlyOrNamedAsTheSource(@TempDir Path dir) throws IOException {
        Path dev = someBlockDevice().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(dev != null, "no /dev/loop* block device node");
        Path emptySys = Files.createDirectories(dir.resolve("sys"));
        // as mountinfo reports it (ext4 and most filesystems)
        MountTable direct = MountTable.of("45 26 " + rdev(dev) + " / /mnt rw - ext4 /dev/whatever rw\n", emptySys);
        assertEquals(Optional.of(new MountTable.Mount("/dev/whatever", "/mnt", "ext4", null)), direct.find(dev));
        // btrfs: an anonymous number, the device node as the source
        MountTable btrfs = MountTable.of("45 26 0:39 / /mnt rw - btrfs " + dev + " rw\n", emptySys);
        assertEquals("mounted on /mnt", btrfs.find(dev).orElseThrow().describe());
        assertEquals(Optional.empty(), MountTable.of("45 26 0:39 / /mnt rw - btrfs /dev/nonexistent rw\n", emptySys)
                .find(dev));
    }

    @Test
    void parsesDeviceNumbersAsTheKernelEncodesThem() {
        assertEquals(0x0703L, MountTable.parseMajorMinor("7:3"));
        assertEquals(MountTable.encode(259, 65536), MountTable.parseMajorMinor("259:65536"));
        assertEquals(-1, MountTable.parseMajorMinor("7"));
    }

    /** A real loop mount: the backing file and the loop device are both found; the dump warns. */
    @Test
    void loopMountedFilesystem(@TempDir Path dir) throws IOException {
        KernelFs.assumeAvailable();
        Path image = Mkfs.image(dir.resolve("fs.img")).size(128L << 20).run();
        try (KernelFs.Mounted m = KernelFs.mount(image, dir.resolve("mnt"))) {
            MountTable t = MountTable.read();
            MountTable.Mount viaFile = t.find(image).orElseThrow();
            assertEquals(m.loopDevice(), viaFile.loopDevice());
            assertEquals(m.mountpoint().toString(), viaFile.mountPoint());
            assertEquals("btrfs", viaFile.fsType());
            MountTable.Mount viaDevice = t.find(Path.of(m.loopDevice())).orElseThrow();
            assertEquals(m.mountpoint().toString(), viaDevice.mountPoint());
            assertEquals(null, viaDevice.loopDevice());

            Ours.Run r = Ours.dump(image, dir.resolve("out.img"));
            assertTrue(r.stderr().contains("WARNING: " + image + " already mounted (the backing file of "
                    + m.loopDevice() + ", mounted on " + m.mountpoint() + "), results may be inaccurate\n"), r.stderr());
        }
        assertEquals(Optional.empty(), MountTable.read().find(image));
        Ours.Run after = Ours.dump(image, dir.resolve("after.img"));
        assertEquals(0, after.status(), after.stderr());
        assertTrue(!after.stderr().contains("WARNING"), after.stderr());
    }
}
