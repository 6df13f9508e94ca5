package io.sparkbtrfs.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.ImageVersion;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * What a local file that failed to open as one thing looks like instead: a metadump image given to a dump, or a
 * filesystem given to a restore (the two operands swapped, or {@code -r} forgotten). Only for the hint of an error
 * message: a file that cannot be read looks like nothing.
 */
public final class FileKinds {
    private FileKinds() {
    }

    /** A hint to append to a dump's "not a btrfs filesystem" error, or "" when {@code spec} is not an image. */
    public static String imageHint(String spec) {
        byte[] head = read(spec, 0, Long.BYTES);
        if (head == null) {
            return "";
        }
        long magic = MetadumpFormat.magic(head);
        if (magic == MetadumpFormat.MAGIC_DELTA) {
            return "; it is a delta image of this tool: restore its chain with restore-chain";
        }
        return ImageVersion.of(magic) != null ? "; it is a metadump image: restore it with -r" : "";
    }

    /** A hint to append to a restore's "unrecognized header" error, or "" when {@code spec} holds no btrfs device. */
    public static String filesystemHint(String spec) {
        byte[] sb = read(spec, Superblock.PRIMARY_OFFSET, Superblock.IDENTITY_BYTES);
        return sb != null && Superblock.hasMagic(sb)
                ? "; it is a btrfs filesystem, not a metadump image: dump it without -r" : "";
    }

    private static byte[] read(String spec, long position, int length) {
        Path p = FileIdentity.localPath(spec);
        return p != null && Files.isRegularFile(p) ? readAt(p, position, length) : null;
    }

    /** {@code length} bytes at {@code position} of the local file or device {@code p}; null if it cannot give them. */
    static byte[] readAt(Path p, long position, int length) {
        byte[] b = new byte[length];
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining()) {
                if (ch.read(bb, position + bb.position()) < 0) {
                    return null;
                }
            }
            return b;
        } catch (IOException e) {
            return null;
        }
    }
}
