package io.sparkbtrfs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

/** The promise for bad input: exit 1, no stack trace, one {@code ERROR:} line (WARNING lines aside). */
public final class ErrorLines {
    private ErrorLines() {
    }

    /** Exit 1 (not killed), no stack trace, exactly one line besides WARNING lines, starting "ERROR: ". */
    public static String assertOneErrorLine(Proc.Result r) {
        assertFalse(r.timedOut(), r.describe());
        assertEquals(1, r.exitCode(), r.describe());
        assertNoStackTrace(r);
        List<String> lines = new ArrayList<>();
        for (String l : r.stderr().split("\n")) {
            if (!l.isBlank() && !l.startsWith("WARNING:")) {
                lines.add(l);
            }
        }
        assertEquals(1, lines.size(), "expected one error line:\n" + r.describe());
        assertTrue(lines.get(0).startsWith("ERROR: "), r.describe());
        return lines.get(0);
    }

    public static void assertNoStackTrace(Proc.Result r) {
        assertFalse(r.stderr().contains("Exception"), r.describe());
        assertFalse(r.stderr().contains("\tat "), r.describe());
    }
}
