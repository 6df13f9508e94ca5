package io.sparkbtrfs.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;

/** Opens the right {@link BlockSource} for what the user named: a local path, or a URI with a scheme. */
public final class BlockSources {
    /**
     * A scheme followed by a slash ({@code hdfs://nn/x}, {@code s3a://b/k}, {@code file:/x}): names such as
     * {@code backup-2026-12-06T06:10:00.metadump} or {@code img:1.img} are local files, as they are to the
     * reference tool (write {@code ./a:/b} for a local directory named {@code a:}).
     */
    private static final Pattern URI_WITH_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:/.*", Pattern.DOTALL);

    private BlockSources() {
    }

    /** Whether {@code spec} is a Hadoop URI (has a scheme) rather than a local path. */
    public static boolean isUri(String spec) {
        return URI_WITH_SCHEME.matcher(spec).matches();
    }

    public static BlockSource open(String spec, Configuration conf) throws IOException {
        return open(spec, conf, -1);
    }

    /** As {@link #open(String, Configuration)}; a URI of {@code knownLength} ≥ 0 is opened without a status request. */
    public static BlockSource open(String spec, Configuration conf, long knownLength) throws IOException {
        if (isUri(spec)) {
            return new HadoopBlockSource(spec, conf, knownLength);
        }
        // Plain paths go through a FileChannel so that block devices (whose length Hadoop reports as 0) work.
        Path path = Path.of(spec);
        if (!Files.exists(path)) {
            throw new NoSuchFileException(spec);
        }
        if (Files.isDirectory(path)) {
            throw new IOException(spec + " is a directory");
        }
        return new LocalBlockSource(spec, path);
    }
}
