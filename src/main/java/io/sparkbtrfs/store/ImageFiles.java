package io.sparkbtrfs.store;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.function.Supplier;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.sparkbtrfs.device.BlockSources;

/**
 * Images read from their first byte as streams (a delta's base, the links of a chain): a local path through the
 * JDK (no Hadoop classes loaded), a URI ({@code hdfs://}, {@code s3a://}, ...) through its Hadoop file system, with
 * the configuration asked for only then. A name that is missing, or is no file, fails as
 * {@link NoSuchFileException} naming it, whatever the store.
 */
public final class ImageFiles {
    private final Supplier<Configuration> conf;
    private Configuration made;

    /** {@code conf} is asked at most once, at the first URI. */
    public ImageFiles(Supplier<Configuration> conf) {
        this.conf = conf;
    }

    /** Local paths only, or URIs with the default Hadoop configuration (core-site.xml on the classpath). */
    public static ImageFiles withDefaultConfiguration() {
        return new ImageFiles(Configuration::new);
    }

    /** A new stream of {@code name} from its first byte; the caller buffers it. */
    public InputStream open(String name) throws IOException {
        if (!BlockSources.isUri(name)) {
            return Files.newInputStream(java.nio.file.Path.of(name));
        }
        Path p = new Path(name);
        FileSystem fs = Storage.fileSystem(p, configuration());
        FileStatus status;
        try {
            status = fs.getFileStatus(p);
        } catch (FileNotFoundException e) {
            throw new NoSuchFileException(name);
        }
        if (!status.isFile()) {
            throw new NoSuchFileException(name, null, "not a file");
        }
        return fs.open(p);
    }

    private synchronized Configuration configuration() {
        if (made == null) {
            made = conf.get();
        }
        return made;
    }
}
