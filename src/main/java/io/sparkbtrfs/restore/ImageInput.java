package io.sparkbtrfs.restore;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.device.BlockSources;
import io.sparkbtrfs.store.Storage;
import io.sparkbtrfs.store.Uncommitted;

/**
 * A metadump image that can be read from the start more than once, never with a seek: a local file, a
 * Hadoop FileSystem URI, standard input (copied once to a temporary file, since a pipe cannot be
 * read twice; memory stays bounded either way), or an image made as it is read (a chain's).
 */
final class ImageInput implements AutoCloseable {
    private final String name;
    private final Path local;
    private final org.apache.hadoop.fs.Path remote;
    private final Configuration conf;
    private final boolean temporary;
    /** An image made as it is read, or null. */
    private final Restorer.GeneratedImage generated;

    private ImageInput(String name, Path local, org.apache.hadoop.fs.Path remote, Configuration conf, boolean temporary) {
        this(name, local, remote, conf, temporary, null);
    }

    private ImageInput(String name, Path local, org.apache.hadoop.fs.Path remote, Configuration conf, boolean temporary,
            Restorer.GeneratedImage generated) {
        this.name = name;
        this.local = local;
        this.remote = remote;
        this.conf = conf;
        this.temporary = temporary;
        this.generated = generated;
    }

    /** An image that {@code image} makes anew each time it is read from the start. */
    static ImageInput generated(Restorer.GeneratedImage image) {
        return new ImageInput(image.name(), null, null, null, false, image);
    }

    static ImageInput open(String spec, java.util.function.Supplier<Configuration> confSupplier, InputStream stdin) throws RestoreException {
        try {
            if ("-".equals(spec)) {
                // 0600 (createTempFile's mode), in $TMPDIR; removed on any failure and on a signal.
                Path tmp = Files.createTempFile(Path.of(Storage.temporaryDirectory()), ".btrfs-image-stdin-", ".img");
                ImageInput spool = new ImageInput("stdin", tmp, null, null, true);
                Uncommitted.register(spool, spool::close);
                // Into the file as created (REPLACE_EXISTING would recreate it with the umask's wider mode).
                try (InputStream in = stdin; java.io.OutputStream out = Files.newOutputStream(tmp)) {
                    in.transferTo(out);
                } catch (IOException | RuntimeException e) {
                    spool.close();
                    throw e;
                }
                return spool;
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


    String name() {
        return name;
    }

    /** A channel for positional reads of a local image (a file or the spool of stdin), else null. */
    java.nio.channels.FileChannel channel() throws RestoreException {
        if (local == null) {
            return null;
        }
        try {
            return java.nio.channels.FileChannel.open(local, java.nio.file.StandardOpenOption.READ);
        } catch (IOException e) {
            throw new RestoreException("unable to open metadump image " + name + ": " + e.getMessage(), e);
        }
    }

    /** A fresh sequential stream from the first byte. */
    InputStream stream() throws RestoreException {
        try {
            InputStream in = generated != null ? generated.open()
                    : local != null ? Files.newInputStream(local) : Storage.fileSystem(remote, conf).open(remote);
            return new BufferedInputStream(in, 1 << 20);
        } catch (IOException e) {
            throw new RestoreException("unable to open metadump image " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        Uncommitted.unregister(this);
        if (temporary) {
            try {
                Files.deleteIfExists(local);
            } catch (IOException ignored) {
                // a leftover temporary file in java.io.tmpdir is harmless
            }
        }
    }
}
