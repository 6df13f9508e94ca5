package io.sparkbtrfs.restore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The restore target: a regular file (created or truncated, extended sparsely at the end) or a block
 * device (written in place, never truncated). Positional writes only; thread-safe.
 */
final class Target implements AutoCloseable {
    private final String name;
    private final Path path;
    private final FileChannel channel;
    private final boolean regular;
    private final boolean created;

    private Target(String name, Path path, FileChannel channel, boolean regular, boolean created) {
        this.name = name;
        this.path = path;
        this.channel = channel;
        this.regular = regular;
        this.created = created;
    }

    static Target open(String spec) throws RestoreException {
        Path path = Path.of(spec);
        boolean existed = Files.exists(path);
        if (existed && Files.isDirectory(path)) {
            throw new RestoreException("unable to create target file " + spec + ": it is a directory");
        }
        boolean regular = !existed || Files.isRegularFile(path);
        try {
            FileChannel ch = regular
                    ? FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
            return new Target(spec, path, ch, regular, !existed);
        } catch (IOException e) {
            throw new RestoreException("unable to create target file " + spec + ": " + e.getMessage(), e);
        }
    }

    String name() {
        return name;
    }

    boolean isRegularFile() {
        return regular;
    }

    void write(long position, byte[] buf, int off, int len) throws RestoreException {
        if (position < 0 || position + len < 0) {
            throw new RestoreException(name + ": write at offset " + Long.toUnsignedString(position)
                    + " is beyond any device");
        }
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        try {
            long at = position;
            while (bb.hasRemaining()) {
                at += channel.write(bb, at);
            }
        } catch (IOException e) {
            throw new RestoreException(name + ": unable to write " + len + " bytes at offset " + position + ": "
                    + e.getMessage(), e);
        }
    }

    void read(long position, byte[] buf, int off, int len) throws RestoreException {
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        try {
            long at = position;
            while (bb.hasRemaining()) {
                int n = channel.read(bb, at);
                if (n < 0) {
                    java.util.Arrays.fill(buf, off + (int) (at - position), off + len, (byte) 0);
                    return; // beyond what was written: a hole
                }
                at += n;
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new RestoreException(name + ": unable to read " + len + " bytes at offset " + position + ": "
                    + e.getMessage(), e);
        }
    }

    /** Current size: the file length, or the device capacity. */
    long size() throws RestoreException {
        try {
            if (regular) {
                return channel.size();
            }
            long size = channel.size();
            return size > 0 ? size : BlockDevices.size(path);
        } catch (IOException e) {
            throw new RestoreException(name + ": cannot determine the size: " + e.getMessage(), e);
        }
    }

    /** Extends a regular file (sparsely) to {@code size}; never shrinks; devices are left alone. */
    void extendTo(long size) throws RestoreException {
        if (!regular) {
            return;
        }
        try {
            if (channel.size() < size) {
                try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(path.toFile(), "rw")) {
                    raf.setLength(size); // a hole, not a written block at the end
                }
            }
        } catch (IOException e) {
            throw new RestoreException(name + ": failed to enlarge the restored image to " + size + " bytes: "
                    + e.getMessage(), e);
        }
    }

    void force() throws RestoreException {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new RestoreException(name + ": flush failed: " + e.getMessage(), e);
        }
    }

    /** Closes; if the restore failed and we created the file, removes it (our documented default). */
    void close(boolean failed) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to do with this target
        }
        if (failed && created && regular) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    @Override
    public void close() {
        close(false);
    }
}
