package io.sparkbtrfs.store;

import java.io.IOException;
import java.nio.file.Paths;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

import io.sparkbtrfs.device.BlockSources;

/** Names the user gives (local paths or URIs) as Hadoop paths on the right file system. */
public final class Storage {
    private Storage() {
    }

    /** A local path becomes an absolute {@code file:} path; a URI stays as it is. */
    public static Path toPath(String spec) {
        if (BlockSources.isUri(spec)) {
            return new Path(spec);
        }
        return new Path(Paths.get(spec).toAbsolutePath().normalize().toUri());
    }

    /**
     * The file system of {@code path}. For {@code file:} this is the raw local file system: the
     * checksummed one would leave {@code .crc} side files next to images and parts.
     */
    public static FileSystem fileSystem(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        if (fs instanceof LocalFileSystem local) {
            return local.getRawFileSystem();
        }
        return fs;
    }

    /**
     * True for object stores where a "directory" is only a key prefix ({@code s3a}, {@code gs}): writing
     * {@code s3a://bucket/new/prefix/image} needs no directory to exist first.
     */
    public static boolean hasImplicitDirectories(FileSystem fs) {
        String scheme = fs.getUri().getScheme();
        return "s3a".equals(scheme) || "gs".equals(scheme);
    }

    /** Where temporary files go: {@code $TMPDIR} if set (as for every Unix tool), else {@code java.io.tmpdir}. */
    public static String temporaryDirectory() {
        String env = System.getenv("TMPDIR");
        return env != null && !env.isEmpty() ? env : System.getProperty("java.io.tmpdir");
    }

    public static boolean isLocal(Path path) {
        String scheme = path.toUri().getScheme();
        return scheme == null || scheme.equals("file");
    }
}
