package io.sparkbtrfs.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;

/**
 * One writer per target: a second dump (or a restore) to the same name fails at once instead of racing the
 * first. Local targets hold an advisory lock ({@code fcntl}, released by the kernel when the process dies, so a
 * killed run never blocks the next one) on a hidden lock file next to the target, removed on release. On other
 * file systems the lock is the lock file's exclusive creation; one left by a driver that died must be removed
 * by hand, and the message says so.
 */
public abstract class TargetLock implements AutoCloseable {
    private static final int ATTEMPTS = 5;

    /** Thrown when another run holds the lock. */
    public static final class BusyException extends IOException {
        private static final long serialVersionUID = 1L;

        BusyException(String message) {
            super(message);
        }
    }

    /** Releases the lock and removes the lock file. Never throws. */
    @Override
    public abstract void close();

    /** Takes the lock of a local target whose hidden lock file is {@code lockFile}. */
    public static TargetLock local(Path lockFile) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Object before = fileKey(lockFile);
            FileChannel ch = open(lockFile);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // another run in this JVM holds it
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            if (lock == null) {
                ch.close();
                throw new BusyException("another btrfs-image run is writing it (lock " + lockFile + " is held)");
            }
            // The holder removes the file before it releases the lock, so a lock taken on a removed file is no
            // lock: ours is the file that the name still leads to. Compared by stat, never by opening the file
            // again: closing any descriptor of a file drops every fcntl lock this process holds on it.
            Object after = fileKey(lockFile);
            if (before != null && before.equals(after)) {
                return new Local(lockFile, ch, lock);
            }
            lock.release();
            ch.close();
        }
        throw new BusyException("another btrfs-image run is writing it (lock " + lockFile + " keeps changing)");
    }

    /** Device and inode of {@code p} (by stat, without opening it), or null if it does not exist. */
    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static FileChannel open(Path lockFile) throws IOException {
        try {
            return FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(Umask.permissions(0600)));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return FileChannel.open(lockFile, StandardOpenOption.WRITE);
        }
    }

    /** Takes the lock of a target on a Hadoop file system: creates {@code lockFile}, which must not exist. */
    public static TargetLock hadoop(FileSystem fs, org.apache.hadoop.fs.Path lockFile) throws IOException {
        FSDataOutputStream out;
        try {
            out = fs.create(lockFile, false);
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            throw new BusyException("another btrfs-image run is writing it (lock file " + lockFile
                    + " exists; if no run is active, a driver died: remove that file)");
        }
        try {
            out.write((ProcessHandle.current().pid() + " " + java.net.InetAddress.getLocalHost().getHostName() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        } finally {
            out.close();
        }
        return new Remote(fs, lockFile);
    }

    private static final class Local extends TargetLock {
        private final Path file;
        private final FileChannel channel;
        private final FileLock lock;

        Local(Path file, FileChannel channel, FileLock lock) {
            this.file = file;
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public synchronized void close() {
            if (!channel.isOpen()) {
                return;
            }
            try {
                Files.deleteIfExists(file); // before the release: see local()
            } catch (IOException ignored) {
                // a leftover lock file is unlocked, harmless, and reused by the next run
            }
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // closing releases it anyway
            }
        }
    }

    private static final class Remote extends TargetLock {
        private final FileSystem fs;
        private final org.apache.hadoop.fs.Path file;
        private boolean released;

        Remote(FileSystem fs, org.apache.hadoop.fs.Path file) {
            this.fs = fs;
            this.file = file;
        }

        @Override
        public synchronized void close() {
            if (released) {
                return;
            }
            released = true;
            try {
                fs.delete(file, false);
            } catch (IOException | RuntimeException ignored) {
                // the next run reports it and says how to remove it
            }
        }
    }
}
