package io.sparkbtrfs.cli;

import io.sparkbtrfs.cli.GnuGetopt.GetoptException;
import io.sparkbtrfs.cli.GnuGetopt.LongOption;
import io.sparkbtrfs.cli.ImageOptions.Mode;
import io.sparkbtrfs.cli.ImageOptions.Progress;
import io.sparkbtrfs.dump.RunnerChoice;
import io.sparkbtrfs.sanitize.SanitizeMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Parses the {@code btrfs-image} command line the way btrfs-progs does (spec §6): same options, same
 * GNU {@code getopt_long} conventions, same diagnostics, same exit statuses; plus the long options of this
 * implementation ({@code --master}, {@code --partitions}, {@code --progress}, {@code --no-progress}, {@code --seed},
 * {@code --conf}, {@code --device}, {@code --version}).
 *
 * <p>Never prints and never exits: every outcome is a {@link ParseResult}.
 *
 * <p>Processing follows the reference: options are handled in command-line order, and a bad number, an unknown
 * option, a missing option argument, {@code --help} or {@code --version} ends parsing at once. Only then are the
 * operands counted and the combination rules checked; those errors are accumulated and followed by the usage text.
 */
public final class OptionParser {

    /** Program name used in getopt-style diagnostics when none is given. */
    public static final String DEFAULT_PROGRAM_NAME = "btrfs-image";

    /** Version of this implementation, as printed by {@code --version}. */
    public static final String VERSION = "0.1.0";

    /** Whether this build implements {@code -d} (data dump); if not, {@code -d} is rejected like a normal progs build. */
    static final boolean DATA_DUMP_SUPPORTED = false;

    private static final String SHORT_OPTIONS = "rc:t:oswmd";

    private static final int OPT_HELP = GnuGetopt.FIRST_LONG_KEY;
    private static final int OPT_VERSION = OPT_HELP + 1;
    private static final int OPT_MASTER = OPT_HELP + 2;
    private static final int OPT_PARTITIONS = OPT_HELP + 3;
    private static final int OPT_PROGRESS = OPT_HELP + 4;
    private static final int OPT_NO_PROGRESS = OPT_HELP + 5;
    private static final int OPT_SEED = OPT_HELP + 6;
    private static final int OPT_CONF = OPT_HELP + 7;
    private static final int OPT_DEVICE = OPT_HELP + 8;
    private static final int OPT_BEST_EFFORT = OPT_HELP + 9;
    private static final int OPT_REPORT = OPT_HELP + 10;
    private static final int OPT_COMPRESS = OPT_HELP + 11;
    private static final int OPT_FORCE = OPT_HELP + 12;
    private static final int OPT_SEED_FILE = OPT_HELP + 13;
    private static final int OPT_RUNNER = OPT_HELP + 14;
    private static final int OPT_INCREMENTAL = OPT_HELP + 15;

    /** Environment variable holding the sanitizing secret when neither {@code --seed} nor {@code --seed-file} is given. */
    public static final String SEED_ENV = "BTRFS_IMAGE_SEED";
    /** A seed file is one number; anything longer is not one. */
    private static final int MAX_SEED_FILE = 4096;

    private static final List<LongOption> LONG_OPTIONS = List.of(
            new LongOption("help", false, OPT_HELP),
            new LongOption("version", false, OPT_VERSION),
            new LongOption("master", true, OPT_MASTER),
            new LongOption("partitions", true, OPT_PARTITIONS),
            new LongOption("progress", false, OPT_PROGRESS),
            new LongOption("no-progress", false, OPT_NO_PROGRESS),
            new LongOption("seed", true, OPT_SEED),
            new LongOption("conf", true, OPT_CONF),
            new LongOption("device", true, OPT_DEVICE),
            new LongOption("best-effort", false, OPT_BEST_EFFORT),
            new LongOption("report", true, OPT_REPORT),
            new LongOption("compress", true, OPT_COMPRESS),
            new LongOption("force", false, OPT_FORCE),
            new LongOption("seed-file", true, OPT_SEED_FILE),
            new LongOption("runner", true, OPT_RUNNER),
            new LongOption("incremental", true, OPT_INCREMENTAL));

    /** The reference's usage text (btrfs-progs 6.2 {@code btrfs-image --help}), byte for byte. */
    static final String REFERENCE_USAGE = String.join("\n",
            "usage: btrfs-image [options] source target",
            "",
            "    Create or restore a filesystem image (metadata)",
            "",
            "    Options:",
            "    -r                        restore metadump image ",
            "    -c value                  compression level (0 ~ 9) ",
            "    -t value                  number of threads (1 ~ 32) ",
            "    -o                        don't mess with the chunk tree when restoring ",
            "    -s                        sanitize file names, use once to just use garbage, use twice if you want"
                    + " crc collisions",
            "    -w                        walk all trees instead of using extent tree, do this if your extent tree"
                    + " is broken ",
            "    -m                        restore for multiple devices ",
            "    -d                        also dump data, conflicts with -w ",
            "    ",
            "    In the dump mode, source is the btrfs device and target is the output file (use '-' for stdout).",
            "    In the restore mode, source is the dumped image and target is the btrfs device/file.",
            "",
            "");

    private static final String OWN_USAGE = String.join("\n",
            "    Options of spark-btrfs-image:",
            "    --master URL              run on Spark with this master URL (--runner spark alone: " + ImageOptions.DEFAULT_MASTER + ")",
            "    --runner auto|in-process|spark",
            "                              where a dump's parts run: auto (default) uses threads of this JVM for",
            "                              local sources and targets without --master, Spark otherwise",
            "    --partitions N            number of Spark partitions (default: 0 = automatic)",
            "    --progress                show progress on stderr",
            "    --no-progress             do not show progress (default: only when stderr is a terminal)",
            "    --seed SEED               secret for sanitizing names, decimal or 0x-prefixed hexadecimal (64 bits);",
            "                              visible to other users in the process list: prefer --seed-file or",
            "                              the environment variable " + SEED_ENV,
            "    --seed-file FILE          read the secret from FILE (same syntax), which no other user may read",
            "    --conf KEY=VALUE          Spark or Hadoop configuration property, may be repeated",
            "    --device PATH             further device of a multi-device filesystem to dump, may be repeated",
            "    --best-effort             dump what can be read of a damaged filesystem, list what could not",
            "    --report FILE             with --best-effort: also write that list as JSON to FILE",
            "    --compress zstd[:LEVEL]   one zstd stream over the clusters (default level 3, up to 19): about",
            "                              half the size of -c 9 and faster to write; such images are NOT readable",
            "                              by the reference btrfs-image, only by this tool's restore, info and",
            "                              verify (zlib[:LEVEL] and none are the same as -c LEVEL and -c 0)",
            "    --force                   restore onto a block device even if it is mounted or in use",
            "    --incremental BASE        write a delta image: what changed since BASE (an earlier image of the",
            "                              same filesystem, full or delta); see compact, info and verify",
            "    --help                    print this help and exit",
            "    --version                 print version information and exit",
            "",
            "    Sanitizing: -s writes garbage names whose hashes do not match them: such images cannot be",
            "    mounted, and btrfs check reports every entry. -ss keeps each name's length and, from 5 bytes",
            "    on, its hash (which confirms a guessed name); shorter names move to their substitute's hash:",
            "    -ss images check clean and mount. See the README for what a sanitized image still shows.",
            "",
            "");

    private static final String USAGE = REFERENCE_USAGE + OWN_USAGE;

    private OptionParser() {
    }

    /** The full usage text: the reference's, then a section on this implementation's options. Ends with "\n". */
    public static String usage() {
        return USAGE;
    }

    /** The line printed by {@code --version}, without newline. */
    public static String versionLine() {
        return "btrfs-image (spark-btrfs-image) " + VERSION + ", compatible with the btrfs-progs v6.x image format";
    }

    /** Parses {@code args} (without the program name) using {@value #DEFAULT_PROGRAM_NAME} in diagnostics. */
    public static ParseResult parse(String[] args) {
        return parse(DEFAULT_PROGRAM_NAME, args);
    }

    /** As {@link #parse(String[])}, the seed taken from {@code env} ({@value #SEED_ENV}) if no option gives one. */
    public static ParseResult parse(String[] args, java.util.Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        try {
            return new Run(DEFAULT_PROGRAM_NAME, args, DATA_DUMP_SUPPORTED, env).run();
        } catch (Stop stop) {
            return stop.result;
        }
    }

    /**
     * Parses {@code args} (without the program name); {@code programName} plays the role of C's {@code argv[0]} in
     * getopt-style diagnostics and in "not enough arguments".
     */
    public static ParseResult parse(String programName, String[] args) {
        return parse(programName, args, DATA_DUMP_SUPPORTED);
    }

    static ParseResult parse(String programName, String[] args, boolean dataDumpSupported) {
        Objects.requireNonNull(programName, "programName");
        Objects.requireNonNull(args, "args");
        try {
            return new Run(programName, args, dataDumpSupported, java.util.Map.of()).run();
        } catch (Stop stop) {
            return stop.result;
        }
    }

    /** Unwinds to {@link #parse} with a final result. */
    private static final class Stop extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient ParseResult result;

        Stop(ParseResult result) {
            super(null, null, false, false);
            this.result = result;
        }
    }

    private static Stop error(String message) {
        return new Stop(ParseResult.exit(1, "", "ERROR: " + message + "\n"));
    }

    private static Stop usageError(String lines) {
        return new Stop(ParseResult.exit(1, "", lines + USAGE));
    }

    private static final class Run {
        private final String prog;
        private final String[] args;
        private final boolean dataDumpSupported;
        private final ImageOptions.Builder b = ImageOptions.builder();
        private boolean create = true;
        private boolean oldRestore;
        private boolean walkTrees;
        private boolean multiDevice;
        private boolean dumpData;
        private int sanitizeCount;
        private int compressLevel;
        private boolean report;
        private boolean bestEffort;
        private String seedOption;
        private String incremental;
        private final List<String> devices = new ArrayList<>();

        private final java.util.Map<String, String> env;

        Run(String prog, String[] args, boolean dataDumpSupported, java.util.Map<String, String> env) {
            this.prog = prog;
            this.args = Objects.requireNonNull(args, "args");
            this.dataDumpSupported = dataDumpSupported;
            this.env = env;
        }

        ParseResult run() throws Stop {
            GnuGetopt g = new GnuGetopt(prog, SHORT_OPTIONS, LONG_OPTIONS, args);
            GnuGetopt.Option o;
            while ((o = nextOption(g)) != null) {
                handle(o.key(), o.arg());
            }
            List<String> operands = g.operands();
            if (operands.size() < 2) {
                throw usageError(prog + ": not enough arguments: " + operands.size() + " but at least 2 expected\n");
            }
            if (dumpData && !dataDumpSupported) {
                throw usageError("ERROR: data dump feature is experimental and is not configured in this build\n");
            }
            int targetCount = operands.size() - 1;
            StringBuilder errors = new StringBuilder();
            if (create) {
                if (oldRestore) {
                    errors.append("ERROR: create and restore cannot be used at the same time\n");
                }
                if (dumpData && walkTrees) {
                    errors.append("ERROR: -d conflicts with -w option\n");
                }
                if (targetCount > 1) {
                    // The reference ignores them and writes the second operand: "btrfs-image dev1 dev2 out.img"
                    // would write the image over dev2, a device of the filesystem being dumped.
                    errors.append("ERROR: a dump takes one source and one target, but " + operands.size()
                            + " operands were given (" + String.join(" ", operands) + "); give the other devices"
                            + " of a multi-device filesystem with --device\n");
                }
                if (report && !bestEffort) {
                    throw error("--report can only be used with --best-effort");
                }
                if (incremental != null && bestEffort) {
                    throw error("--incremental cannot be used with --best-effort (a chain must be exact)");
                }
                if (incremental != null && sanitizeCount > 0 && seedOption == null && env.get(SEED_ENV) == null) {
                    throw error("--incremental with -s needs the secret of the chain (--seed, --seed-file or "
                            + SEED_ENV + "), so that every link sanitizes names alike");
                }
            } else {
                if (walkTrees || sanitizeCount > 0 || compressLevel != 0 || dumpData) {
                    errors.append("ERROR: using -w, -s, -c, -d options for restore makes no sense\n");
                }
                if (multiDevice && targetCount < 2) {
                    errors.append("ERROR: not enough devices specified for -m option\n");
                }
                if (!multiDevice && targetCount != 1) {
                    errors.append("ERROR: accepts only 1 device without -m option\n");
                }
                // Not in the reference: our own options that only make sense for create.
                if (!devices.isEmpty()) {
                    errors.append("ERROR: --device can only be used when creating an image\n");
                }
                if (report || bestEffort) {
                    throw error("--best-effort and --report can only be used when creating an image");
                }
                if (incremental != null) {
                    throw error("--incremental can only be used when creating an image");
                }
            }
            if (errors.length() > 0) {
                throw usageError(errors.toString());
            }
            if (seedOption == null && env.get(SEED_ENV) != null && create && sanitizeCount > 0) {
                Long seed = seedValue(env.get(SEED_ENV).strip());
                if (seed == null) {
                    throw error("invalid seed in the environment variable " + SEED_ENV + ": expected an unsigned "
                            + "64-bit number, decimal or 0x-prefixed hexadecimal");
                }
                b.seed(seed);
            }
            b.mode(create ? Mode.CREATE : Mode.RESTORE)
                    .compressLevel(compressLevel)
                    .oldRestore(oldRestore)
                    .sanitize(sanitizeCount == 0 ? SanitizeMode.NONE
                            : sanitizeCount == 1 ? SanitizeMode.GARBAGE : SanitizeMode.COLLISIONS)
                    .walkTrees(walkTrees)
                    .multiDevice(multiDevice)
                    .dumpData(dumpData)
                    .source(operands.get(0))
                    .target(operands.get(1))
                    .extraTargets(operands.subList(2, operands.size()))
                    .devices(devices)
                    .incremental(incremental);
            return ParseResult.ok(b.build());
        }

        private void seed(long value, String option) throws Stop {
            if (seedOption != null && !seedOption.equals(option)) {
                throw error("--seed and --seed-file cannot be used together");
            }
            seedOption = option;
            b.seed(value);
        }

        private GnuGetopt.Option nextOption(GnuGetopt g) throws Stop {
            try {
                return g.next();
            } catch (GetoptException e) {
                throw usageError(e.getMessage() + "\n");
            }
        }

        private void handle(int key, String arg) throws Stop {
            switch (key) {
                case 'r' -> create = false;
                case 'c' -> {
                    long v = argStrtou64(arg);
                    if (Long.compareUnsigned(v, ImageOptions.MAX_COMPRESS_LEVEL) > 0) {
                        throw error("compression level out of range: " + Long.toUnsignedString(v));
                    }
                    compressLevel = (int) v;
                }
                case 't' -> {
                    long v = argStrtou64(arg);
                    if (Long.compareUnsigned(v, ImageOptions.MAX_THREADS) > 0) {
                        throw error("number of threads out of range: " + Long.toUnsignedString(v) + " > "
                                + ImageOptions.MAX_THREADS);
                    }
                    b.threads((int) v);
                }
                case 'o' -> oldRestore = true;
                case 's' -> sanitizeCount = Math.min(sanitizeCount + 1, 2);
                case 'w' -> walkTrees = true;
                case 'm' -> {
                    create = false;
                    multiDevice = true;
                }
                case 'd' -> dumpData = true;
                case OPT_HELP -> throw new Stop(ParseResult.exit(0, USAGE, ""));
                case OPT_VERSION -> throw new Stop(ParseResult.exit(0, versionLine() + "\n", ""));
                case OPT_MASTER -> {
                    if (arg.isEmpty()) {
                        throw error("--master requires a non-empty Spark master URL");
                    }
                    b.master(arg);
                }
                case OPT_PARTITIONS -> {
                    long v = argStrtou64(arg);
                    if (Long.compareUnsigned(v, Integer.MAX_VALUE) > 0) {
                        throw error("number of partitions out of range: " + Long.toUnsignedString(v) + " > "
                                + Integer.MAX_VALUE);
                    }
                    b.partitions((int) v);
                }
                case OPT_PROGRESS -> b.progress(Progress.ON);
                case OPT_NO_PROGRESS -> b.progress(Progress.OFF);
                case OPT_SEED -> seed(parseSeed(arg), "--seed");
                case OPT_SEED_FILE -> seed(readSeedFile(arg), "--seed-file");
                case OPT_CONF -> {
                    int eq = arg.indexOf('=');
                    if (eq <= 0) {
                        throw error("--conf expects KEY=VALUE, got '" + arg + "'");
                    }
                    b.conf(arg.substring(0, eq), arg.substring(eq + 1));
                }
                case OPT_DEVICE -> {
                    if (arg.isEmpty()) {
                        throw error("--device requires a non-empty path");
                    }
                    devices.add(arg);
                }
                case OPT_BEST_EFFORT -> {
                    bestEffort = true;
                    b.bestEffort(true);
                }
                case OPT_FORCE -> b.force(true);
                case OPT_RUNNER -> b.runner(switch (arg) {
                    case "auto" -> RunnerChoice.AUTO;
                    case "in-process" -> RunnerChoice.IN_PROCESS;
                    case "spark" -> RunnerChoice.SPARK;
                    default -> throw error("--runner expects auto, in-process or spark, got '" + arg + "'");
                });
                case OPT_COMPRESS -> parseCompress(arg, b);
                case OPT_INCREMENTAL -> {
                    if (arg.isEmpty()) {
                        throw error("--incremental requires the base image");
                    }
                    incremental = arg;
                }
                case OPT_REPORT -> {
                    if (arg.isEmpty()) {
                        throw error("--report requires a file name");
                    }
                    report = true;
                    b.report(arg);
                }
                default -> throw new AssertionError("unhandled option key " + key);
            }
        }
    }

    /**
     * The reference's {@code arg_strtou64} (current btrfs-progs): a leading '-' is "negative value is invalid";
     * otherwise C {@code strtoull(str, &end, 10)} must consume the whole string (so leading white space and a '+'
     * are accepted, and the empty string is 0), and overflow is "too large". Returns the value as unsigned 64 bits.
     */
    private static long argStrtou64(String s) throws Stop {
        if (s.startsWith("-")) {
            throw error(s + ": negative value is invalid");
        }
        int i = 0;
        int n = s.length();
        while (i < n && isCSpace(s.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int digitsStart = i;
        long value = 0;
        boolean overflow = false;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            int d = s.charAt(i) - '0';
            // value * 10 + d > 2^64 - 1 ?
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L, 10)) > 0
                    || (value == Long.divideUnsigned(-1L, 10) && d > Long.remainderUnsigned(-1L, 10))) {
                overflow = true;
            } else {
                value = value * 10 + d;
            }
            i++;
        }
        // strtoull sets end to the start of the string when no digits were converted.
        int end = i == digitsStart ? 0 : i;
        if (end != n) {
            throw error(s + " is not a valid numeric value");
        }
        if (overflow) {
            throw error(s + " is too large");
        }
        return negative ? -value : value;
    }

    private static boolean isCSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }

    /** {@code --compress}: {@code zstd[:LEVEL]} (1..19), {@code zlib[:LEVEL]} (1..9) or {@code none}. */
    private static void parseCompress(String arg, ImageOptions.Builder b) throws Stop {
        String[] parts = arg.split(":", 2);
        String codec = parts[0];
        Integer level = null;
        if (parts.length == 2) {
            try {
                level = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw error("--compress: '" + parts[1] + "' is not a level");
            }
        }
        switch (codec) {
            case "zstd" -> {
                int l = level == null ? 3 : level;
                if (l < 1 || l > 19) {
                    throw error("--compress zstd: level " + l + " out of range 1..19");
                }
                b.zstdLevel(l);
            }
            case "zlib" -> {
                int l = level == null ? 6 : level;
                if (l < 1 || l > 9) {
                    throw error("--compress zlib: level " + l + " out of range 1..9");
                }
                b.compressLevel(l);
                b.zstdLevel(0);
            }
            case "none" -> {
                b.compressLevel(0);
                b.zstdLevel(0);
            }
            default -> throw error("--compress expects zstd[:LEVEL], zlib[:LEVEL] or none, got '" + arg + "'");
        }
    }

    /** {@code --seed}: a decimal or 0x/0X-prefixed hexadecimal unsigned 64-bit number, nothing else. */
    private static long parseSeed(String s) throws Stop {
        Long v = seedValue(s);
        if (v == null) {
            throw error("invalid seed '" + s + "': expected an unsigned 64-bit number, decimal or 0x-prefixed "
                    + "hexadecimal");
        }
        return v;
    }

    /** The seed {@code s} spells (see {@link #parseSeed}), or null. */
    private static Long seedValue(String s) {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                String hex = s.substring(2);
                if (!hex.isEmpty() && hex.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
                    return Long.parseUnsignedLong(hex, 16);
                }
            } else if (!s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Long.parseUnsignedLong(s, 10);
            }
        } catch (NumberFormatException e) {
            // too large
        }
        return null;
    }

    /**
     * {@code --seed-file}: the seed in the syntax of {@code --seed}, white space around it ignored. A file that users
     * other than its owner may read (group or other read permission) is refused: a secret that others can read
     * protects nothing. The content is never echoed in messages.
     */
    private static long readSeedFile(String name) throws Stop {
        java.nio.file.Path file = java.nio.file.Path.of(name);
        byte[] content;
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = posixPermissions(file);
            if (perms != null && (perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_READ)
                    || perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ))) {
                throw error("seed file " + name + " is readable by other users (mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(perms)
                        + "): make it private first (chmod 600 " + name + ")");
            }
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
                content = in.readNBytes(MAX_SEED_FILE + 1);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw error("cannot read seed file " + name + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw error("cannot read seed file " + name + ": permission denied");
        } catch (java.io.IOException e) {
            throw error("cannot read seed file " + name + ": " + e.getMessage());
        }
        Long v = content.length > MAX_SEED_FILE ? null
                : seedValue(new String(content, java.nio.charset.StandardCharsets.US_ASCII).strip());
        if (v == null) {
            throw error("seed file " + name + " does not hold a seed: expected one unsigned 64-bit number, decimal "
                    + "or 0x-prefixed hexadecimal");
        }
        return v;
    }

    /** The file's permissions, or null where the file system has none to tell. */
    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> posixPermissions(java.nio.file.Path file)
            throws java.io.IOException {
        try {
            return java.nio.file.Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }
}
