package io.sparkbtrfs.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import com.github.luben.zstd.util.Native;
import com.github.luben.zstd.util.ZstdVersion;

import io.sparkbtrfs.store.Umask;

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
                        // Readable as the build's other files are (createTempFile made it 0600).
                        Files.setPosixFilePermissions(tmp, Umask.permissions(0644 & Umask.fileMode()));
                        Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
            }
            // Loaded here first, so that a copy that cannot be loaded (a noexec mount, another user's 0600 file)
            // leaves zstd-jni to its own copy instead of failing; its own load of the same file is then a no-op.
            System.load(lib.toAbsolutePath().toString());
            System.setProperty(OVERRIDE, lib.toAbsolutePath().toString());
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            // zstd-jni extracts its own copy, as without the directory
        }
    }
}
