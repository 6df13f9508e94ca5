package io.sparkbtrfs.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A small re-implementation of the behaviour of glibc's {@code getopt_long} in its default ("permute") mode, as far
 * as a command line parser needs it: options and operands may be interleaved, short flags may be bundled
 * ({@code -rw}), a short option's argument may be attached ({@code -c9}) or separate ({@code -c 9}), {@code --} ends
 * option processing, long options accept {@code --name=value} and {@code --name value} and may be abbreviated to any
 * unambiguous prefix (an exact match always wins).
 *
 * <p>Diagnostics have glibc's wording, prefixed with the program name, e.g.
 * {@code btrfs-image: invalid option -- 'q'}. {@code POSIXLY_CORRECT} and a leading {@code +}/{@code -} in the
 * option string are not supported; optional arguments ({@code ::}) are not supported.
 *
 * <p>Not thread-safe; one instance parses one argument vector once.
 */
final class GnuGetopt {

    /** Long options get keys from here upwards so they never collide with short option characters. */
    static final int FIRST_LONG_KEY = 0x1_0000 + 256;

    /** A long option: {@code --name} or {@code --name=value}/{@code --name value} if {@code hasArg}. */
    record LongOption(String name, boolean hasArg, int key) {
        LongOption {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty long option name");
            }
        }
    }

    /** One parsed option: {@code key} is the short option character or the long option's key. */
    record Option(int key, String arg) {
    }

    /** A getopt diagnostic; the message is the complete line without the trailing newline. */
    static final class GetoptException extends Exception {
        private static final long serialVersionUID = 1L;

        GetoptException(String message) {
            super(message);
        }
    }

    private final String prog;
    private final String shortOptions;
    private final List<LongOption> longOptions;
    private final String[] args;
    private final List<String> operands = new ArrayList<>();

    private int index;          // next element of args to look at
    private String cluster;     // remaining characters of a short option cluster being processed, or null
    private boolean done;

    GnuGetopt(String prog, String shortOptions, List<LongOption> longOptions, String[] args) {
        this.prog = Objects.requireNonNull(prog, "prog");
        this.shortOptions = Objects.requireNonNull(shortOptions, "shortOptions");
        this.longOptions = List.copyOf(longOptions);
        this.args = args.clone();
        for (String a : this.args) {
            Objects.requireNonNull(a, "argument");
        }
    }

    /**
     * Returns the next option, or {@code null} when all arguments are consumed (then {@link #operands()} is
     * complete).
     */
    Option next() throws GetoptException {
        if (cluster != null) {
            return nextShort();
        }
        while (!done && index < args.length) {
            String a = args[index++];
            if (a.equals("--")) {
                break;
            }
            if (a.startsWith("--")) {
                return nextLong(a.substring(2));
            }
            if (a.length() > 1 && a.charAt(0) == '-') {
                cluster = a.substring(1);
                return nextShort();
            }
            operands.add(a); // includes "-" and ""
        }
        while (index < args.length) {
            operands.add(args[index++]);
        }
        done = true;
        return null;
    }

    /** The non-option arguments in their original order; complete once {@link #next()} returned {@code null}. */
    List<String> operands() {
        return List.copyOf(operands);
    }

    private Option nextShort() throws GetoptException {
        int c = cluster.codePointAt(0);
        String rest = cluster.substring(Character.charCount(c));
        cluster = rest.isEmpty() ? null : rest;
        int pos = c == ':' || c > 0xFFFF ? -1 : shortOptions.indexOf(c);
        if (pos < 0) {
            cluster = null;
            throw new GetoptException(prog + ": invalid option -- '" + Character.toString(c) + "'");
        }
        boolean hasArg = pos + 1 < shortOptions.length() && shortOptions.charAt(pos + 1) == ':';
        if (!hasArg) {
            return new Option(c, null);
        }
        if (cluster != null) {
            String arg = cluster;
            cluster = null;
            return new Option(c, arg);
        }
        if (index < args.length) {
            return new Option(c, args[index++]);
        }
        throw new GetoptException(prog + ": option requires an argument -- '" + Character.toString(c) + "'");
    }

    private Option nextLong(String text) throws GetoptException {
        int eq = text.indexOf('=');
        String name = eq < 0 ? text : text.substring(0, eq);
        LongOption found = null;
        for (LongOption o : longOptions) {
            if (o.name().equals(name)) {
                found = o;
                break;
            }
        }
        if (found == null) {
            List<LongOption> candidates = new ArrayList<>();
            for (LongOption o : longOptions) {
                if (o.name().startsWith(name)) {
                    candidates.add(o);
                }
            }
            if (candidates.isEmpty()) {
                throw new GetoptException(prog + ": unrecognized option '--" + text + "'");
            }
            if (candidates.size() > 1) {
                StringBuilder sb = new StringBuilder();
                sb.append(prog).append(": option '--").append(text).append("' is ambiguous; possibilities:");
                for (LongOption o : candidates) {
                    sb.append(" '--").append(o.name()).append('\'');
                }
                throw new GetoptException(sb.toString());
            }
            found = candidates.get(0);
        }
        if (!found.hasArg()) {
            if (eq >= 0) {
                throw new GetoptException(prog + ": option '--" + found.name() + "' doesn't allow an argument");
            }
            return new Option(found.key(), null);
        }
        if (eq >= 0) {
            return new Option(found.key(), text.substring(eq + 1));
        }
        if (index < args.length) {
            return new Option(found.key(), args[index++]);
        }
        throw new GetoptException(prog + ": option '--" + found.name() + "' requires an argument");
    }
}
