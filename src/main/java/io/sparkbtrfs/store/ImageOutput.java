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
    private final Path staging;
    private final FileSystem stagingFs;
    private final List<PreCommit> preCommits = new ArrayList<>();
    /** Set by merges that make the image appear by other means than a rename (S3 multipart completion). */
    private PreCommit commitAction;
    private Runnable abandonAction;

    private ImageOutput(OutputFile file, Path staging, FileSystem stagingFs) {
        this.file = file;
        this.staging = staging;
        this.stagingFs = stagingFs;
    }

    /**
     * Prepares {@code target} (see {@link OutputFile#create}) and creates the staging directory (mode 0700:
     * parts hold the image's content). {@code stagingOverride} (may be empty) puts it elsewhere.
     */
    public static ImageOutput prepare(String target, Supplier<Configuration> conf, String stagingOverride, int mode,
            List<OutputFile.Guarded> guarded, boolean force) throws IOException {
        OutputFile file = OutputFile.create(target, conf, mode, guarded, force);
        boolean ok = false;
        try {
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
            Path staging = new Path(parent, "." + tag + ".staging-" + (file.id() == null ? shortId() : file.id()));
            FileSystem stagingFs = Storage.fileSystem(staging, conf.get());
            try {
                if (Storage.isLocal(staging)) {
                    Files.createDirectories(java.nio.file.Path.of(parent.toUri()));
                    Files.createDirectory(java.nio.file.Path.of(staging.toUri()),
                            PosixFilePermissions.asFileAttribute(Umask.permissions(0700)));
                } else if (!stagingFs.mkdirs(staging, new FsPermission((short) 0700))) {
                    throw new IOException("cannot create staging directory " + staging);
                }
            } catch (IOException e) {
                throw new IOException("unable to create the staging directory " + staging + ": "
                        + OutputFile.describe(e), e);
            }
            ImageOutput out = new ImageOutput(file, staging, stagingFs);
            Uncommitted.register(out, out::removeStaging);
            ok = true;
            return out;
        } finally {
            if (!ok) {
                file.close();
            }
        }
    }

    private static String shortId() {
        return java.util.UUID.randomUUID().toString().substring(0, 8);
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

    public Path staging() {
        return staging;
    }

    public FileSystem stagingFileSystem() {
        return stagingFs;
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

    private void removeStaging() {
        Uncommitted.unregister(this);
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
