package io.sparkbtrfs.testing;

/** Keeps the fast tier ({@link Fast}) honest: what only integration tests may start. */
public final class Tier {
    /** System property the pom's {@code fast} profile sets: only {@link Fast} tests run in this JVM. */
    public static final String FAST_ONLY = "sparkbtrfs.test.fastOnly";

    private Tier() {
    }

    /**
     * Fails when the fast tier alone runs: {@code what} (a process, Spark) belongs to the integration tier, so
     * the calling test must not carry {@link Fast}.
     */
    public static void requireIntegration(String what) {
        if (Boolean.getBoolean(FAST_ONLY)) {
            throw new AssertionError("a @Fast test started " + what
                    + ": it belongs to the integration tier (remove @Fast from it)");
        }
    }
}
