package io.sparkbtrfs.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.Uuid;

/**
 * Whether an existing local target holds a device of a given btrfs filesystem: its primary superblock carries
 * btrfs's magic and that filesystem's fsid. A dump written there would destroy a device of the filesystem it
 * is reading (the other device of a two-device filesystem typed as the target, say), so it is refused before
 * anything is opened for writing.
 */
public final class FilesystemMember {
    private FilesystemMember() {
    }

    /**
     * Throws, naming {@code spec}, if it is an existing local file or device whose primary superblock belongs to
     * the filesystem {@code fsid}. Targets that do not exist, cannot be read, are not local or are too short
     * pass: they hold no device of it.
     */
    public static void refuse(String spec, byte[] fsid) throws IOException {
        Path p = FileIdentity.localPath(spec);
        if (p == null || !(Files.isRegularFile(p) || isBlockDevice(p)) || !Files.isReadable(p)) {
            return; // never opened: a FIFO's open would wait for a writer, a character device's read may block
        }
        byte[] sb = FileKinds.readAt(p, Superblock.PRIMARY_OFFSET, Superblock.IDENTITY_BYTES);
        if (sb != null && Superblock.belongsTo(sb, fsid)) {
            throw new IOException("refusing to write " + spec + ": it holds a device of the filesystem being dumped"
                    + " (fsid " + Uuid.text(fsid) + "); for the other devices of a multi-device filesystem use"
                    + " --device");
        }
    }

    private static boolean isBlockDevice(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
