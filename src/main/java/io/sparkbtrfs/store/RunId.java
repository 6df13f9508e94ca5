package io.sparkbtrfs.store;

import java.util.SplittableRandom;

/**
 * Short random ids for the hidden names a run creates next to its target (temporary file, staging directory).
 *
 * <p>Not {@link java.util.UUID#randomUUID()}: that seeds a {@code SecureRandom}, about 12 ms of a small run's
 * start. Unpredictability is not what protects these names (they are created exclusively, and a clash is an
 * error, not a takeover); distinctness between concurrent runs is, which the process id and the clock give.
 */
final class RunId {
    private static final SplittableRandom RANDOM =
            new SplittableRandom(ProcessHandle.current().pid() * 0x9E3779B97F4A7C15L ^ System.nanoTime());

    private RunId() {
    }

    /** Eight lower-case hexadecimal digits. */
    static synchronized String next() {
        String hex = Integer.toHexString(RANDOM.nextInt());
        return "00000000".substring(hex.length()) + hex;
    }
}
