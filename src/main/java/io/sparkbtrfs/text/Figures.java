package io.sparkbtrfs.text;

/**
 * Numbers as the closing lines print them, without {@link java.util.Formatter}: its first use compiles a
 * regular expression and loads locale data, about 12 ms of a small run (async-profiler), and a summary
 * must not depend on the user's locale (a decimal comma would break scripts that read it).
 */
public final class Figures {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Figures() {
    }

    /** {@code v} rounded half up to one decimal: "0.1", "12.0", "-3.5". */
    public static String tenths(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        long t = Math.round(Math.abs(v) * 10);
        return (v < 0 && t != 0 ? "-" : "") + t / 10 + "." + t % 10;
    }

    /** A byte count in binary units with one decimal: "512 B", "1.5 KiB", "57.0 MiB". */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int u = -1;
        do {
            v /= 1024;
            u++;
        } while (v >= 1024 && u < UNITS.length - 1);
        return tenths(v) + " " + UNITS[u];
    }
}
