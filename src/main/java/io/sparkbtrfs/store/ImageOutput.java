package io.sparkbtrfs.store;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where an image goes: a file on any Hadoop file system, written under a hidden temporary name next to
 * the target and renamed into place on {@link #commit()}, or standard output. Also owns the staging
 * directory for parts, next to the target so that the final assembly never crosses file systems.
 */
public final class ImageOutput implements AutoCloseable {
    public static final String STDOUT = "-";

    private final String target;
    private final Configuration conf;
    private final Path finalPath;
    private final Path tempPath;
    private final Path staging;
    private final FileSystem fs;
    private final FileSystem stagingFs;
    private boolean committed;

    private ImageOutput(String target, Configuration conf, Path finalPath, Path tempPath, Path staging, FileSystem fs,
            FileSystem stagingFs) {
        this.target = target;
        this.conf = conf;
        this.finalPath = finalPath;
        this.tempPath = tempPath;
        this.staging = staging;
        this.fs = fs;
        this.stagingFs = stagingFs;
    }

    /**
     * Checks that the target can be created (by creating its temporary file) and creates the staging
     * directory. {@code stagingOverride} (may be null) puts the staging directory elsewhere.
     */
    public static ImageOutput prepare(String target, Configuration conf, String stagingOverride) throws IOException {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Path finalPath = null;
        Path tempPath = null;
        FileSystem fs = null;
        Path stagingParent;
        if (STDOUT.equals(target)) {
            stagingParent = Storage.toPath(System.getProperty("java.io.tmpdir"));
        } else {
            finalPath = Storage.toPath(target);
            fs = Storage.fileSystem(finalPath, conf);
            Path parent = finalPath.getParent();
            if (parent == null) {
                throw new IOException("unable to create target file " + target);
            }
            if (fs.exists(finalPath) && fs.getFileStatus(finalPath).isDirectory()) {
                throw new IOException("unable to create target file " + target + ": it is a directory");
            }
            tempPath = new Path(parent, "." + finalPath.getName() + ".tmp-" + id);
            try {
                if (!Storage.hasImplicitDirectories(fs) && (!fs.exists(parent) || !fs.getFileStatus(parent).isDirectory())) {
                    throw new IOException("no such directory " + parent);
                }
                fs.create(tempPath, false).close();
            } catch (IOException e) {
                throw new IOException("unable to create target file " + target + ": " + e.getMessage(), e);
            }
            stagingParent = parent;
        }
        if (stagingOverride != null && !stagingOverride.isEmpty()) {
            stagingParent = Storage.toPath(stagingOverride);
        }
        String base = finalPath == null ? "btrfs-image" : finalPath.getName();
        Path staging = new Path(stagingParent, "." + base + ".staging-" + id);
        FileSystem stagingFs = Storage.fileSystem(staging, conf);
        if (finalPath != null) {
            removeStale(fs, finalPath.getParent(), base, id);
            if (!stagingParent.equals(finalPath.getParent())) {
                removeStale(stagingFs, stagingParent, base, id);
            }
        }
        try {
            if (!stagingFs.mkdirs(staging)) {
                throw new IOException("cannot create staging directory " + staging);
            }
        } catch (IOException e) {
            if (fs != null) {
                fs.delete(tempPath, false);
            }
            throw e;
        }
        return new ImageOutput(target, conf, finalPath, tempPath, staging, fs, stagingFs);
    }

    /**
     * Removes what an earlier dump to the same target name left when its driver died (killed, power loss):
     * {@code .NAME.staging-*} directories and {@code .NAME.tmp-*} files in {@code dir}, except ours
     * ({@code id}). Two concurrent dumps to the same target are therefore not supported. Best effort.
     */
    private static void removeStale(FileSystem fs, Path dir, String base, String id) {
        String staging = "." + base + ".staging-";
        String tmp = "." + base + ".tmp-";
        try {
            for (org.apache.hadoop.fs.FileStatus st : fs.listStatus(dir, p -> (p.getName().startsWith(staging)
                    || p.getName().startsWith(tmp)) && !p.getName().endsWith("-" + id))) {
                fs.delete(st.getPath(), true);
            }
        } catch (IOException | RuntimeException ignored) {
            // leftovers are hidden, named after the target, and removed by the next run that can
        }
    }

    public Path staging() {
        return staging;
    }

    public FileSystem stagingFileSystem() {
        return stagingFs;
    }

    /** The hidden temporary file that {@link #commit()} renames to the target (null for stdout). */
    public Path temporary() {
        return tempPath;
    }

    /** The target's file system (null for stdout). */
    public FileSystem fileSystem() {
        return fs;
    }

    public boolean isStdout() {
        return finalPath == null;
    }

    /** The stream the assembled image is written to (the temporary file, or stdout). */
    public OutputStream open() throws IOException {
        if (finalPath == null) {
            return new java.io.FilterOutputStream(System.out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush(); // never close stdout itself
                }
            };
        }
        return fs.create(tempPath, true);
    }

    /** Makes the image appear at the target, atomically where the file system allows. */
    public void commit() throws IOException {
        if (finalPath != null) {
            if (Storage.isLocal(finalPath)) {
                try {
                    Files.move(Paths.get(tempPath.toUri()), Paths.get(finalPath.toUri()),
                            StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            } else {
                fs.delete(finalPath, false);
                if (!fs.rename(tempPath, finalPath)) {
                    throw new IOException("cannot rename " + tempPath + " to " + finalPath);
                }
            }
        }
        committed = true;
    }

    /** Removes the staging directory, and the temporary image unless committed. Never throws. */
    @Override
    public void close() {
        try {
            stagingFs.delete(staging, true);
        } catch (IOException | RuntimeException ignored) {
            // best effort: a leftover hidden directory is harmless and named after the target
        }
        if (!committed && finalPath != null) {
            try {
                fs.delete(tempPath, false);
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        }
    }

    public String target() {
        return target;
    }

    /** The target as a path (null for stdout). */
    public Path targetPath() {
        return finalPath;
    }

    /**
     * Instead of {@link #commit()}: the image was created at the target by other means that make it appear
     * atomically (an S3 multipart upload); drops the temporary file.
     */
    public void committedInPlace() throws IOException {
        committed = true;
        if (finalPath != null) {
            fs.delete(tempPath, false);
        }
    }

    Configuration conf() {
        return conf;
    }
}
