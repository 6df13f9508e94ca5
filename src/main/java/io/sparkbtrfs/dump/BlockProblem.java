package io.sparkbtrfs.dump;

import java.io.Serializable;

/** A tree block a best-effort dump could not read or validate: where, in which tree, why, and what was done. */
public record BlockProblem(long logical, String tree, String reason, String action) implements Serializable {

    public String line() {
        return Long.toUnsignedString(logical) + " (" + tree + "): " + reason + " — " + action;
    }

    public String json() {
        return "{\"logical\":" + Long.toUnsignedString(logical) + ",\"tree\":" + quote(tree) + ",\"reason\":"
                + quote(reason) + ",\"action\":" + quote(action) + "}";
    }

    /** {@code s} as a JSON string literal. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
