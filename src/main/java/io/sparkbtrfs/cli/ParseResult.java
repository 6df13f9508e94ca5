package io.sparkbtrfs.cli;

import java.io.PrintStream;
import java.util.Objects;

/**
 * Outcome of {@link OptionParser#parse(String[])}: either {@link Ok} (run the job with the options) or
 * {@link Exit} (print the given texts and terminate with the given status, e.g. after {@code --help} or an error).
 */
public sealed interface ParseResult permits ParseResult.Ok, ParseResult.Exit {

    /** Run with these options. */
    record Ok(ImageOptions options) implements ParseResult {
        public Ok {
            Objects.requireNonNull(options, "options");
        }
    }

    /**
     * Stop: write {@code stdout} to standard output and {@code stderr} to standard error verbatim (each is empty or
     * ends with a newline), then exit with {@code status}.
     */
    record Exit(int status, String stdout, String stderr) implements ParseResult {
        public Exit {
            Objects.requireNonNull(stdout, "stdout");
            Objects.requireNonNull(stderr, "stderr");
        }

        /** Writes and flushes both texts; returns {@link #status()} for the caller to pass to {@code System.exit}. */
        public int writeTo(PrintStream out, PrintStream err) {
            out.print(stdout);
            out.flush();
            err.print(stderr);
            err.flush();
            return status;
        }
    }

    static ParseResult ok(ImageOptions options) {
        return new Ok(options);
    }

    static ParseResult exit(int status, String stdout, String stderr) {
        return new Exit(status, stdout, stderr);
    }

    default boolean isOk() {
        return this instanceof Ok;
    }

    /** The options of an {@link Ok}; throws {@link IllegalStateException} for an {@link Exit}. */
    default ImageOptions options() {
        if (this instanceof Ok ok) {
            return ok.options();
        }
        throw new IllegalStateException("not an Ok result: " + this);
    }
}
