package io.sparkbtrfs.restore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.sparkbtrfs.store.FileIdentity;
import io.sparkbtrfs.store.OutputFile;

/**
 * The restore target, written under the output contract ({@link OutputFile}): a regular file is written as a
 * hidden temporary file next to it (extended sparsely at the end) and renamed into place by {@link #commit()},
 * so that a failed or interrupted restore leaves the old file, if any, untouched; a block device is written in
 * place, never truncated, and refused while in use. Positional writes only; thread-safe.
 */
final class Target implements AutoCloseable {
    private final String name;
    private final OutputFile output;
    private final Path path;
    private final FileChannel channel;
    private final boolean regular;

    private Target(String name, OutputFile output, Path path, FileChannel channel, boolean regular) {
        this.name = name;
        this.output = output;
        this.path = path;
        this.channel = channel;
        this.regular = regular;
    }

    /**
     * Opens {@code spec} for writing, refusing it if it is one of {@code guarded} or a device in use (unless
     * {@code force}); a new file gets permission bits {@code mode} within the umask.
     */
    static Target open(String spec, List<OutputFile.Guarded> guarded, int mode, boolean force)
            throws RestoreException {
        if (FileIdentity.localPath(spec) == null) {
            throw new RestoreException("unable to create target file " + spec
                    + ": restore writes local files and devices only");
        }
        OutputFile out;
        try {
            out = OutputFile.create(spec, () -> null, mode, guarded, force);
        } catch (IOException e) {
            throw new RestoreException(e.getMessage(), e);
        }
        boolean regular = out.kind() == OutputFile.Kind.LOCAL;
        Path path = regular ? out.localTemporary() : out.localPath();
        if (!regular && !isBlockOrCharacterDevice(path)) {
            out.close();
            throw new RestoreException("unable to create target file " + spec
                    + ": a restore needs a regular file or a device (positional writes), not a FIFO");
        }
        try {
            return new Target(spec, out, path, out.openChannel(), regular);
        } catch (IOException e) {
            out.close();
            throw new RestoreException("unable to create target file " + spec + ": " + e.getMessage(), e);
        }
    }

    private static boolean isBlockOrCharacterDevice(Path p) {
        try {
            int type = (Integer) Files.getAttribute(p, "unix:mode") & 0170000;
            return type == 0060000 || type == 0020000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    String name() {
        return name;
    }

    boolean isRegularFile() {
        return regular;
    }

    void write(long position, byte[] buf, int off, int len) throws RestoreException {
        write(position, ByteBuffer.wrap(buf, off, len));
    }

    /** Writes {@code bb}'s remaining bytes at {@code position} (a direct buffer is written without a copy). */
    void write(long position, ByteBuffer bb) throws RestoreException {
        int len = bb.remaining();
        if (position < 0 || position + len < 0) {
            throw new RestoreException(name + ": write at offset " + Long.toUnsignedString(position)
                    + " is beyond any device");
        }
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

    /**
     * Flushes a device to stable storage (it may be detached or used by a VM next). A regular file is not flushed,
     * as the reference and cp do not: its rename makes it appear whole, and flushing a restored image of a large
     * filesystem costs more than the restore.
     */
    void force() throws RestoreException {
        if (regular) {
            return;
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new RestoreException(name + ": flush failed: " + e.getMessage(), e);
        }
    }

    /** Makes a restored regular file appear at its name (a device was written in place). */
    void commit() throws RestoreException {
        try {
            channel.close();
            output.commit();
        } catch (IOException e) {
            throw new RestoreException(name + ": " + e.getMessage(), e);
        }
    }

    /** Closes; unless committed, a regular file's temporary file is removed and the target left as it was. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to do with this target
        }
        output.close();
    }
}
