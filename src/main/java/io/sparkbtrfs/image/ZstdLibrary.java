package io.sparkbtrfs.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import com.github.luben.zstd.util.Native;
import com.github.luben.zstd.util.ZstdVersion;

/**
 * Where zstd-jni loads its native library from. By default it copies the library out of its jar into a new
 * temporary file on every run (about 95 ms of a delta's 0.7 s); given {@code -Dspark.btrfs.native.dir} (the
 * launcher passes {@code target/native}), the library is copied there once, under a name that carries its
 * version, and loaded from there ({@code ZstdNativePath}, zstd-jni's own override). Anything unexpected leaves
 * zstd-jni to its default.
 */
final class ZstdLibrary {
    private static final String OVERRIDE = "ZstdNativePath";

    private ZstdLibrary() {
    }

    /** Prepares the library before zstd-jni's first use; cheap once done. */
    static synchronized void prepare() {
        String dir = System.getProperty("spark.btrfs.native.dir");
        if (dir == null || System.getProperty(OVERRIDE) != null
                || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return;
        }
        String name = System.mapLibraryName("zstd-jni-" + ZstdVersion.VERSION);
        Path lib = Path.of(dir, name);
        try {
            if (!Files.isRegularFile(lib)) {
                try (InputStream in = Native.class.getResourceAsStream("/linux/" + System.getProperty("os.arch") + "/"
                        + name)) {
                    if (in == null) {
                        return;
                    }
                    Files.createDirectories(lib.getParent());
                    Path tmp = Files.createTempFile(lib.getParent(), "." + name, ".tmp");
                    try {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
            }
            System.setProperty(OVERRIDE, lib.toString());
        } catch (IOException | RuntimeException e) {
            // zstd-jni extracts its own copy, as without the directory
        }
    }
}
