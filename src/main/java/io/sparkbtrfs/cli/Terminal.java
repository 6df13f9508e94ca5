package io.sparkbtrfs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Best-effort terminal detection for {@link ImageOptions.Progress#AUTO} (Java 17 has no isatty for stderr). */
public final class Terminal {

    private Terminal() {
    }

    /**
     * Whether standard error is a terminal. On Linux this looks at what {@code /proc/self/fd/2} points to (a
     * {@code /dev/pts/*}, {@code /dev/tty*} or {@code /dev/console} device); elsewhere it falls back to
     * {@code System.console() != null}, which requires stdin and stdout to be terminals too.
     */
    public static boolean isStderrTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.isSymbolicLink(fd2)) {
                return isTerminalDevice(Files.readSymbolicLink(fd2).toString());
            }
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            // fall through
        }
        return System.console() != null;
    }

    static boolean isTerminalDevice(String path) {
        return path.startsWith("/dev/pts/") || path.startsWith("/dev/tty") || path.equals("/dev/console");
    }
}
