package io.sparkbtrfs.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Where a dump's image goes: an {@link OutputFile} (with its whole contract), plus the staging directory for
 * parts, next to the target so that the final assembly never crosses file systems (in the temporary directory
 * when the image is streamed), and the checks that must pass before the image is committed (a source that did
 * not change, side outputs written).
 */
public final class ImageOutput implements AutoCloseable {
    public static final String STDOUT = OutputFile.STDOUT;

    /** Work done before the image may appear at the target; a failure keeps it from appearing. */
    @FunctionalInterface
    public interface PreCommit {
        void run() throws IOException;
    }

    private final OutputFile file;
    private final Supplier<Configuration> conf;
    private final String stagingOverride;
    private final List<PreCommit> preCommits = new ArrayList<>();
    /** Set by merges that make the image appear by other means than a rename (S3 multipart completion). */
    private PreCommit commitAction;
    private Runnable abandonAction;
    /** Created when a runner first asks for it (the in-process runner never does). */
    private Path staging;
    private FileSystem stagingFs;

    private ImageOutput(OutputFile file, Supplier<Configuration> conf, String stagingOverride) {
        this.file = file;
        this.conf = conf;
        this.stagingOverride = stagingOverride;
    }

    /**
     * Prepares {@code target} (see {@link OutputFile#create}). The staging directory for parts is made when first
     * asked for: next to the target, in the temporary directory for streamed images, or in
     * {@code stagingOverride} (may be empty or null).
     */
    public static ImageOutput prepare(String target, Supplier<Configuration> conf, String stagingOverride, int mode,
            List<OutputFile.Guarded> guarded, boolean force) throws IOException {
        return new ImageOutput(OutputFile.create(target, conf, mode, guarded, force), conf, stagingOverride);
    }

    /** The staging directory for parts (mode 0700: parts hold the image's content), created on first use. */
    public synchronized Path staging() throws IOException {
        if (staging != null) {
            return staging;
        }
        Path parent;
        String tag;
        if (stagingOverride != null && !stagingOverride.isEmpty()) {
            parent = Storage.toPath(stagingOverride);
            tag = file.isStreamed() ? "btrfs-image" : file.tag();
        } else if (file.isStreamed()) {
            parent = Storage.toPath(Storage.temporaryDirectory());
            tag = "btrfs-image";
        } else if (file.kind() == OutputFile.Kind.LOCAL) {
            parent = new Path(file.localDirectory().toUri());
            tag = file.tag();
        } else {
            parent = file.remotePath().getParent();
            tag = file.tag();
        }
        Path dir = new Path(parent, "." + tag + ".staging-" + (file.id() == null ? RunId.next() : file.id()));
        FileSystem fs = Storage.fileSystem(dir, conf.get());
        try {
            if (Storage.isLocal(dir)) {
                Files.createDirectories(java.nio.file.Path.of(parent.toUri()));
                Files.createDirectory(java.nio.file.Path.of(dir.toUri()),
                        PosixFilePermissions.asFileAttribute(Umask.permissions(0700)));
            } else if (!fs.mkdirs(dir, new FsPermission((short) 0700))) {
                throw new IOException("cannot create staging directory " + dir);
            }
        } catch (IOException e) {
            throw new IOException("unable to create the staging directory " + dir + ": " + OutputFile.describe(e), e);
        }
        staging = dir;
        stagingFs = fs;
        Uncommitted.register(this, this::removeStaging);
        return staging;
    }

    /** The staging directory's file system (after {@link #staging()}). */
    public synchronized FileSystem stagingFileSystem() throws IOException {
        staging();
        return stagingFs;
    }

    /** Adds work that must succeed before the image is committed (run in the order added). */
    public void beforeCommit(PreCommit check) {
        preCommits.add(check);
    }

    /**
     * For merges that assemble the image at the target by other means than a rename (an S3 multipart upload):
     * {@code commit} makes it appear (after the pre-commit work), {@code abandon} drops it if never committed.
     */
    public void commitBy(PreCommit commit, Runnable abandon) {
        this.commitAction = commit;
        this.abandonAction = abandon;
    }

    public OutputFile file() {
        return file;
    }

    /** The temporary file that {@link #commit()} renames to the target, as a Hadoop path (null when streamed). */
    public Path temporary() {
        if (file.kind() == OutputFile.Kind.LOCAL) {
            return new Path(file.localTemporary().toUri());
        }
        return file.remoteTemporary();
    }

    /** The target's file system (REMOTE targets; null otherwise). */
    public FileSystem fileSystem() {
        return file.fileSystem();
    }

    /** True for stdout and special files: the image is streamed to them. */
    public boolean isStreamed() {
        return file.isStreamed();
    }

    /** The stream the assembled image is written to (the temporary file, the special file or stdout). */
    public OutputStream open() throws IOException {
        return file.openStream();
    }

    /** Runs the pre-commit work, then makes the image appear at the target. */
    public void commit() throws IOException {
        for (PreCommit c : preCommits) {
            c.run();
        }
        preCommits.clear();
        if (commitAction != null) {
            commitAction.run();
            file.committedInPlace();
        } else {
            file.commit();
        }
    }

    /** Removes the staging directory, and the temporary image unless committed. Never throws. */
    @Override
    public void close() {
        if (!file.isCommitted() && abandonAction != null) {
            abandonAction.run();
        }
        removeStaging();
        file.close();
    }

    private synchronized void removeStaging() {
        Uncommitted.unregister(this);
        if (staging == null) {
            return;
        }
        try {
            if (Storage.isLocal(staging)) {
                OutputFile.deleteTree(java.nio.file.Path.of(staging.toUri()));
            } else {
                stagingFs.delete(staging, true);
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: a leftover hidden directory is removed by the next run to this target
        }
    }

    public String target() {
        return file.spec();
    }

    /** The REMOTE target as a path (null otherwise). */
    public Path targetPath() {
        return file.remotePath();
    }
}
