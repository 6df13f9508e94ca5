package io.sparkbtrfs.restore;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.device.BlockSources;
import io.sparkbtrfs.store.Storage;

/**
 * A metadump image that can be read from the start more than once, never with a seek: a local file, a
 * Hadoop FileSystem URI, or standard input (copied once to a temporary file, since a pipe cannot be
 * read twice; memory stays bounded either way).
 */
final class ImageInput implements AutoCloseable {
    private final String name;
    private final Path local;
    private final org.apache.hadoop.fs.Path remote;
    private final Configuration conf;
    private final boolean temporary;

    private ImageInput(String name, Path local, org.apache.hadoop.fs.Path remote, Configuration conf, boolean temporary) {
        this.name = name;
        this.local = local;
        this.remote = remote;
        this.conf = conf;
        this.temporary = temporary;
    }

    static ImageInput open(String spec, java.util.function.Supplier<Configuration> confSupplier, InputStream stdin) throws RestoreException {
        try {
            if ("-".equals(spec)) {
                Path tmp = Files.createTempFile("btrfs-image-restore-", ".img");
                try (InputStream in = stdin) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                return new ImageInput("stdin", tmp, null, null, true);
            }
            if (BlockSources.isUri(spec)) {
                Configuration conf = confSupplier.get();
                org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(spec);
                if (!Storage.fileSystem(p, conf).getFileStatus(p).isFile()) {
                    throw new RestoreException("unable to open metadump image " + spec + ": not a file");
                }
                return new ImageInput(spec, null, p, conf, false);
            }
            Path p = Path.of(spec);
            if (!Files.isRegularFile(p) && !Files.exists(p)) {
                throw new RestoreException("unable to open metadump image " + spec + ": no such file");
            }
            if (Files.isDirectory(p)) {
                throw new RestoreException("unable to open metadump image " + spec + ": it is a directory");
            }
            return new ImageInput(spec, p, null, null, false);
        } catch (IOException e) {
            throw new RestoreException("unable to open metadump image " + spec + ": " + e.getMessage(), e);
        }
    }


    /**
     * Fails if {@code targetSpec} names this image's own file: opening the target truncates it, and phase 2
     * would then read an empty image.
     */
    void refuseAsTarget(String targetSpec) throws RestoreException {
        if (local == null || temporary) {
            return;
        }
        try {
            Path t = Path.of(targetSpec);
            if (Files.exists(t) && Files.isSameFile(local, t)) {
                throw new RestoreException("the target " + targetSpec + " is the image " + name
                        + " itself; restoring would overwrite the image");
            }
        } catch (IOException | java.nio.file.InvalidPathException e) {
            // cannot tell; Target.open reports real problems with the target
        }
    }

    String name() {
        return name;
    }

    /** A fresh sequential stream from the first byte. */
    InputStream stream() throws RestoreException {
        try {
            InputStream in = local != null ? Files.newInputStream(local) : Storage.fileSystem(remote, conf).open(remote);
            return new BufferedInputStream(in, 1 << 20);
        } catch (IOException e) {
            throw new RestoreException("unable to open metadump image " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (temporary) {
            try {
                Files.deleteIfExists(local);
            } catch (IOException ignored) {
                // a leftover temporary file in java.io.tmpdir is harmless
            }
        }
    }
}
