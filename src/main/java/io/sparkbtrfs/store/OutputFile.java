package io.sparkbtrfs.store;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Supplier;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * The output contract of every file we write (images, restored filesystems, reports): never over a file the
 * run reads or another output of the run, whatever name it is given by (links, URIs, device nodes); regular
 * files written under a hidden temporary name and renamed into place on {@link #commit()}, so that the target
 * exists only complete; special files (devices, FIFOs) and standard output written in place; new files with
 * the user's umask (and no wider than asked); one writer per target name ({@link TargetLock}); every write error
 * reported. Leftovers of runs that died are removed by the next run that holds the target's lock.
 */
public final class OutputFile implements AutoCloseable {
    public static final String STDOUT = "-";

    /** How the target is written. */
    public enum Kind {
        /** {@code -}: standard output, streamed. */
        STDOUT,
        /** An existing device node or FIFO: written in place, never replaced. */
        SPECIAL,
        /** A local regular file (new or replaced): temporary file, then rename. */
        LOCAL,
        /** A file on a Hadoop file system (HDFS, S3, ...): temporary file, then rename or in-place commit. */
        REMOTE
    }

    /** A name that this run reads or writes otherwise, and what it is (for the message). */
    public record Guarded(String role, String spec) {
    }

    private final String spec;
    private final Kind kind;
    private final Path local;
    private final Path localTemp;
    private final FileSystem fs;
    private final org.apache.hadoop.fs.Path remote;
    private final org.apache.hadoop.fs.Path remoteTemp;
    private final String id;
    private final TargetLock lock;
    private volatile boolean committed;
    private volatile boolean closed;

    private OutputFile(String spec, Kind kind, Path local, Path localTemp, FileSystem fs,
            org.apache.hadoop.fs.Path remote, org.apache.hadoop.fs.Path remoteTemp, String id, TargetLock lock) {
        this.spec = spec;
        this.kind = kind;
        this.local = local;
        this.localTemp = localTemp;
        this.fs = fs;
        this.remote = remote;
        this.remoteTemp = remoteTemp;
        this.id = id;
        this.lock = lock;
    }

    /**
     * Prepares {@code spec} for writing: refuses it if it is one of {@code guarded}, takes its lock, removes what
     * runs that died left next to it, and creates its temporary file with permission bits {@code mode} (within
     * the umask). A block device in use (mounted, held, swap) is refused unless {@code force}. {@code conf} is
     * asked for only for non-local targets.
     *
     * @throws IOException with a message that names the target
     */
    public static OutputFile create(String spec, Supplier<Configuration> conf, int mode, List<Guarded> guarded,
            boolean force) throws IOException {
        if (STDOUT.equals(spec)) {
            return new OutputFile(spec, Kind.STDOUT, null, null, null, null, null, null, null);
        }
        refuseGuarded(spec, guarded);
        String id = RunId.next();
        Path local = FileIdentity.localPath(spec);
        if (local != null) {
            return createLocal(spec, local.toAbsolutePath().normalize(), mode, id, force);
        }
        return createRemote(spec, conf.get(), id);
    }

    /** Whether {@code spec} would be streamed (stdout, an existing device node or FIFO) rather than renamed into place. */
    public static boolean isStreamedTarget(String spec) {
        if (STDOUT.equals(spec)) {
            return true;
        }
        Path p = FileIdentity.localPath(spec);
        return p != null && Files.exists(p) && !Files.isRegularFile(p) && !Files.isDirectory(p);
    }

    /** The hidden names of a target's temporary files, staging directories and lock: {@code .TAG.*}. */
    public static String hiddenTag(String fileName) {
        // Kept readable when it can be; a long or unusual name (a ':' is not allowed in a Hadoop path
        // component; 255 bytes is the limit of a name) is replaced by a hash of it.
        if (fileName.length() <= 100 && fileName.matches("[A-Za-z0-9._+-]+")) {
            return fileName;
        }
        java.util.zip.CRC32C a = new java.util.zip.CRC32C();
        java.util.zip.CRC32 b = new java.util.zip.CRC32();
        byte[] bytes = fileName.getBytes(StandardCharsets.UTF_8);
        a.update(bytes);
        b.update(bytes);
        return String.format("btrfs-image-%08x%08x", a.getValue(), b.getValue());
    }

    /** Throws, naming {@code spec}, if it is (or shares storage with) one of {@code guarded}. */
    public static void refuseGuarded(String spec, List<Guarded> guarded) throws IOException {
        FileIdentity target = FileIdentity.of(spec);
        for (Guarded g : guarded) {
            if (g.spec() != null && !STDOUT.equals(g.spec()) && target.overlaps(FileIdentity.of(g.spec()))) {
                String same = g.spec().equals(spec) ? "" : " (" + g.spec() + ")";
                throw new IOException("refusing to write " + spec + ": it is " + g.role() + same
                        + ", which this run must not overwrite");
            }
        }
    }

    private static OutputFile createLocal(String spec, Path path, int mode, String id, boolean force)
            throws IOException {
        if (Files.isDirectory(path)) {
            throw new IOException("unable to create target file " + spec + ": it is a directory");
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            if (isSocket(path)) {
                throw new IOException("unable to create target file " + spec + ": it is a socket");
            }
            String use = force ? null : DeviceUse.inUse(path);
            if (use != null) {
                throw new IOException("refusing to write " + spec + ": the device is " + use
                        + " (--force writes it anyway)");
            }
            return new OutputFile(spec, Kind.SPECIAL, path, null, null, null, null, id, null);
        }
        Path parent = path.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IOException("unable to create target file " + spec + ": no such directory "
                    + (parent == null ? "/" : parent));
        }
        String tag = hiddenTag(path.getFileName().toString());
        TargetLock lock;
        try {
            lock = TargetLock.local(parent.resolve("." + tag + ".lock"));
        } catch (TargetLock.BusyException e) {
            throw new IOException("unable to create target file " + spec + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException("unable to create target file " + spec + ": " + describe(e), e);
        }
        boolean ok = false;
        try {
            removeStaleLocal(parent, tag);
            Path temp = parent.resolve("." + tag + ".tmp-" + id);
            try {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(Umask.permissions(mode & Umask.fileMode())));
            } catch (IOException e) {
                throw new IOException("unable to create target file " + spec + ": " + describe(e), e);
            }
            OutputFile out = new OutputFile(spec, Kind.LOCAL, path, temp, null, null, null, id, lock);
            Uncommitted.register(out, out::close);
            ok = true;
            return out;
        } finally {
            if (!ok) {
                lock.close();
            }
        }
    }

    private static OutputFile createRemote(String spec, Configuration conf, String id) throws IOException {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(spec);
        FileSystem fs;
        org.apache.hadoop.fs.Path parent = path.getParent();
        TargetLock lock;
        try {
            fs = Storage.fileSystem(path, conf);
            if (parent == null) {
                throw new IOException("no parent directory");
            }
            if (fs.exists(path) && fs.getFileStatus(path).isDirectory()) {
                throw new IOException("it is a directory");
            }
            if (!Storage.hasImplicitDirectories(fs) && (!fs.exists(parent) || !fs.getFileStatus(parent).isDirectory())) {
                throw new IOException("no such directory " + parent);
            }
            lock = TargetLock.hadoop(fs, new org.apache.hadoop.fs.Path(parent, "." + hiddenTag(path.getName()) + ".lock"));
        } catch (IOException e) {
            throw new IOException("unable to create target file " + spec + ": " + describe(e), e);
        }
        boolean ok = false;
        try {
            String tag = hiddenTag(path.getName());
            removeStaleRemote(fs, parent, tag);
            org.apache.hadoop.fs.Path temp = new org.apache.hadoop.fs.Path(parent, "." + tag + ".tmp-" + id);
            try {
                fs.create(temp, false).close();
            } catch (IOException e) {
                throw new IOException("unable to create target file " + spec + ": " + describe(e), e);
            }
            OutputFile out = new OutputFile(spec, Kind.REMOTE, null, null, fs, path, temp, id, lock);
            Uncommitted.register(out, out::close);
            ok = true;
            return out;
        } finally {
            if (!ok) {
                lock.close();
            }
        }
    }

    /** Leftovers of runs that died: we hold the lock, so no live run owns a {@code .TAG.tmp-*} or staging. */
    private static void removeStaleLocal(Path dir, String tag) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir,
                p -> isStale(p.getFileName().toString(), tag))) {
            for (Path p : ds) {
                deleteTree(p);
            }
        } catch (IOException | RuntimeException ignored) {
            // hidden, named after the target, and removed by the next run that can
        }
    }

    static boolean isStale(String name, String tag) {
        return name.startsWith("." + tag + ".tmp-") || name.startsWith("." + tag + ".staging-");
    }

    private static void removeStaleRemote(FileSystem fs, org.apache.hadoop.fs.Path dir, String tag) {
        try {
            for (org.apache.hadoop.fs.FileStatus st : fs.listStatus(dir, p -> isStale(p.getName(), tag))) {
                fs.delete(st.getPath(), true);
            }
        } catch (IOException | RuntimeException ignored) {
            // as above
        }
    }

    /** Removes a file or a directory tree without following links. */
    public static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    private static boolean isSocket(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0140000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public Kind kind() {
        return kind;
    }

    public String spec() {
        return spec;
    }

    /** A short random id of this run, for other hidden names next to the target. */
    public String id() {
        return id;
    }

    /** True when the image goes to stdout or a special file: streamed, nothing to rename, nowhere to stage. */
    public boolean isStreamed() {
        return kind == Kind.STDOUT || kind == Kind.SPECIAL;
    }

    /** The local target (LOCAL and SPECIAL), else null. */
    public Path localPath() {
        return local;
    }

    /** The local temporary file (LOCAL), else null. */
    public Path localTemporary() {
        return localTemp;
    }

    /** The Hadoop file system of a REMOTE target, else null. */
    public FileSystem fileSystem() {
        return fs;
    }

    /** The REMOTE target, else null. */
    public org.apache.hadoop.fs.Path remotePath() {
        return remote;
    }

    /** The REMOTE temporary file, else null. */
    public org.apache.hadoop.fs.Path remoteTemporary() {
        return remoteTemp;
    }

    /** The directory next to the target where its temporary files go (LOCAL), else null. */
    public Path localDirectory() {
        return localTemp == null ? null : localTemp.getParent();
    }

    /** The hidden tag of this target's names (LOCAL and REMOTE). */
    public String tag() {
        return kind == Kind.LOCAL ? hiddenTag(local.getFileName().toString())
                : kind == Kind.REMOTE ? hiddenTag(remote.getName()) : null;
    }

    /**
     * A stream to the temporary file, the special file or stdout. Write errors are thrown (a {@code PrintStream}
     * such as {@code System.out} would swallow them); closing never closes stdout itself.
     */
    public OutputStream openStream() throws IOException {
        OutputStream out;
        switch (kind) {
            case STDOUT:
                out = new FileOutputStream(FileDescriptor.out) {
                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                };
                break;
            case SPECIAL:
                out = Files.newOutputStream(local, StandardOpenOption.WRITE);
                break;
            case LOCAL:
                out = Files.newOutputStream(localTemp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                break;
            default:
                out = fs.create(remoteTemp, true);
        }
        return naming(out, kind == Kind.STDOUT ? "stdout" : spec);
    }

    /** {@code out}, whose write errors name {@code name}: "unable to write stdout: Broken pipe". */
    public static OutputStream naming(OutputStream out, String name) {
        return new Named(out, name);
    }

    private static final class Named extends OutputStream {
        private final OutputStream out;
        private final String name;

        Named(OutputStream out, String name) {
            this.out = out;
            this.name = name;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                throw named(e);
            }
        }

        private IOException named(IOException e) {
            return new IOException("unable to write " + name + ": " + describe(e), e);
        }
    }

    /** A channel for positional writes and reads: the temporary file (LOCAL) or the device (SPECIAL). */
    public FileChannel openChannel() throws IOException {
        switch (kind) {
            case LOCAL:
                return FileChannel.open(localTemp, StandardOpenOption.WRITE, StandardOpenOption.READ);
            case SPECIAL:
                return FileChannel.open(local, StandardOpenOption.WRITE, StandardOpenOption.READ);
            default:
                throw new IOException(spec + ": positional writes need a local file or device");
        }
    }

    /** Makes the output appear at the target, atomically where the file system allows. */
    public synchronized void commit() throws IOException {
        if (closed) {
            throw new IOException(spec + ": the output was already abandoned");
        }
        try {
            if (kind == Kind.LOCAL) {
                try {
                    Files.move(localTemp, local, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("cannot rename " + localTemp + " to " + local + ": " + e.getMessage(), e);
                }
            } else if (kind == Kind.REMOTE) {
                fs.delete(remote, false);
                if (!fs.rename(remoteTemp, remote)) {
                    throw new IOException("cannot rename " + remoteTemp + " to " + remote);
                }
            }
        } catch (IOException e) {
            throw new IOException("unable to write " + spec + ": " + describe(e), e);
        }
        committed = true;
        close();
    }

    /**
     * Instead of {@link #commit()}: the output was made to appear at the target by other means that are atomic
     * (an S3 multipart upload); drops the temporary file.
     */
    public synchronized void committedInPlace() throws IOException {
        committed = true;
        if (remoteTemp != null) {
            fs.delete(remoteTemp, false);
        }
        close();
    }

    public boolean isCommitted() {
        return committed;
    }

    /** Removes the temporary file unless committed, and releases the lock. Never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Uncommitted.unregister(this);
        if (!committed) {
            try {
                if (localTemp != null) {
                    Files.deleteIfExists(localTemp);
                } else if (remoteTemp != null) {
                    fs.delete(remoteTemp, false);
                }
            } catch (IOException | RuntimeException ignored) {
                // hidden; removed by the next run that holds the lock
            }
        }
        if (lock != null) {
            lock.close();
        }
    }

    static String describe(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** The permission bits for an image of the given local sources (URIs do not narrow it). */
    public static int imageModeFor(List<String> sources) {
        int[] modes = sources.stream().map(FileIdentity::localPath).filter(p -> p != null && Files.exists(p))
                .mapToInt(Umask::modeOf).toArray();
        return Umask.imageMode(modes);
    }
}
