package io.sparkbtrfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbtrfs.cli.ImageOptions.Mode;
import io.sparkbtrfs.cli.ImageOptions.Progress;
import io.sparkbtrfs.sanitize.SanitizeMode;
import io.sparkbtrfs.testing.Fast;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Fast
class OptionParserTest {

    private static final String USAGE = OptionParser.usage();

    private static ImageOptions ok(String... args) {
        ParseResult r = OptionParser.parse(args);
        if (r instanceof ParseResult.Exit e) {
            throw new AssertionError("expected Ok, got exit " + e.status() + ": " + e.stderr());
        }
        return r.options();
    }

    private static ParseResult.Exit exit(String... args) {
        return assertInstanceOf(ParseResult.Exit.class, OptionParser.parse(args));
    }

    /** Asserts exit 1, nothing on stdout, and exactly {@code lines} (each + "\n") on stderr followed by usage. */
    private static void assertUsageError(String[] args, String... lines) {
        ParseResult.Exit e = exit(args);
        assertEquals(1, e.status());
        assertEquals("", e.stdout());
        StringBuilder expected = new StringBuilder();
        for (String l : lines) {
            expected.append(l).append('\n');
        }
        assertEquals(expected + USAGE, e.stderr());
    }

    /** Asserts exit 1, nothing on stdout, exactly one line on stderr and no usage. */
    private static void assertPlainError(String[] args, String line) {
        ParseResult.Exit e = exit(args);
        assertEquals(1, e.status());
        assertEquals("", e.stdout());
        assertEquals(line + "\n", e.stderr());
    }

    private static String[] a(String... args) {
        return args;
    }

    // ---------------------------------------------------------------- defaults and simple options

    @Test
    void defaults() {
        ImageOptions o = ok("/dev/sdb", "out.img");
        assertEquals(Mode.CREATE, o.getMode());
        assertTrue(o.isCreate());
        assertFalse(o.isRestore());
        assertEquals(0, o.getCompressLevel());
        assertEquals(0, o.getThreads());
        assertFalse(o.isOldRestore());
        assertEquals(SanitizeMode.NONE, o.getSanitize());
        assertFalse(o.isWalkTrees());
        assertFalse(o.isMultiDevice());
        assertFalse(o.isDumpData());
        assertEquals("/dev/sdb", o.getSource());
        assertEquals("out.img", o.getTarget());
        assertEquals(List.of(), o.getExtraTargets());
        assertEquals(List.of("out.img"), o.getAllTargets());
        assertEquals("local[*]", o.getMaster());
        assertEquals(0, o.getPartitions());
        assertEquals(Progress.AUTO, o.getProgress());
        assertEquals(OptionalLong.empty(), o.getSeed());
        assertEquals(Map.of(), o.getConf());
        assertEquals(List.of(), o.getDevices());
    }

    @Test
    void createWithAllCreateOptions() {
        ImageOptions o = ok("-c", "9", "-t", "32", "-s", "-w", "dev", "-");
        assertEquals(Mode.CREATE, o.getMode());
        assertEquals(9, o.getCompressLevel());
        assertEquals(32, o.getThreads());
        assertEquals(SanitizeMode.GARBAGE, o.getSanitize());
        assertTrue(o.isWalkTrees());
        assertEquals("dev", o.getSource());
        assertEquals("-", o.getTarget());
    }

    @Test
    void sanitizeCounts() {
        assertEquals(SanitizeMode.NONE, ok("a", "b").getSanitize());
        assertEquals(SanitizeMode.GARBAGE, ok("-s", "a", "b").getSanitize());
        assertEquals(SanitizeMode.COLLISIONS, ok("-s", "-s", "a", "b").getSanitize());
        assertEquals(SanitizeMode.COLLISIONS, ok("-ss", "a", "b").getSanitize());
        assertEquals(SanitizeMode.COLLISIONS, ok("-sss", "-s", "a", "b").getSanitize());
    }

    @Test
    void restore() {
        ImageOptions o = ok("-r", "img", "/dev/sdc");
        assertEquals(Mode.RESTORE, o.getMode());
        assertFalse(o.isMultiDevice());
        assertEquals("img", o.getSource());
        assertEquals("/dev/sdc", o.getTarget());
        assertEquals(0, o.getThreads());
    }

    @Test
    void restoreAcceptsOldRestoreThreadsAndZeroCompression() {
        ImageOptions o = ok("-r", "-o", "-t", "4", "-c", "0", "img", "dev");
        assertTrue(o.isOldRestore());
        assertEquals(4, o.getThreads());
        assertEquals(0, o.getCompressLevel());
    }

    @Test
    void multiDeviceImpliesRestore() {
        ImageOptions o = ok("-m", "img", "d1", "d2", "d3");
        assertEquals(Mode.RESTORE, o.getMode());
        assertTrue(o.isMultiDevice());
        assertEquals("d1", o.getTarget());
        assertEquals(List.of("d2", "d3"), o.getExtraTargets());
        assertEquals(List.of("d1", "d2", "d3"), o.getAllTargets());
    }

    // ---------------------------------------------------------------- getopt conventions

    @Test
    void bundledFlags() {
        ImageOptions o = ok("-rm", "img", "d1", "d2");
        assertEquals(Mode.RESTORE, o.getMode());
        assertTrue(o.isMultiDevice());
        ImageOptions p = ok("-sws", "dev", "img");
        assertEquals(SanitizeMode.COLLISIONS, p.getSanitize());
        assertTrue(p.isWalkTrees());
    }

    @Test
    void attachedAndSeparateOptionArguments() {
        assertEquals(9, ok("-c9", "a", "b").getCompressLevel());
        assertEquals(9, ok("-c", "9", "a", "b").getCompressLevel());
        ImageOptions o = ok("-swc5", "-t3", "a", "b");
        assertEquals(5, o.getCompressLevel());
        assertEquals(3, o.getThreads());
        assertTrue(o.isWalkTrees());
        // the cluster after a short option with an argument is the argument, flags included
        assertPlainError(a("-c9s", "a", "b"), "ERROR: 9s is not a valid numeric value");
    }

    @Test
    void optionArgumentMayLookLikeAnOption() {
        assertPlainError(a("-c", "-r", "a", "b"), "ERROR: -r: negative value is invalid");
        assertPlainError(a("-c", "--", "a", "b"), "ERROR: --: negative value is invalid");
        assertEquals("--progress", ok("--master", "--progress", "a", "b").getMaster());
    }

    @Test
    void permutationOptionsAfterOperands() {
        ImageOptions o = ok("img", "-r", "dev");
        assertEquals(Mode.RESTORE, o.getMode());
        assertEquals("img", o.getSource());
        assertEquals("dev", o.getTarget());
        ImageOptions p = ok("dev", "img", "-c", "3", "--progress");
        assertEquals(3, p.getCompressLevel());
        assertEquals(Progress.ON, p.getProgress());
        assertEquals("dev", p.getSource());
    }

    @Test
    void doubleDashEndsOptions() {
        ImageOptions o = ok("-r", "--", "-img", "-s");
        assertEquals(Mode.RESTORE, o.getMode());
        assertEquals(SanitizeMode.NONE, o.getSanitize());
        assertEquals("-img", o.getSource());
        assertEquals("-s", o.getTarget());
        ImageOptions p = ok("a", "--", "--help");
        assertEquals("a", p.getSource());
        assertEquals("--help", p.getTarget());
        // only the first "--" is special
        assertEquals("--", ok("--", "a", "--").getTarget());
    }

    @Test
    void singleDashAndEmptyStringAreOperands() {
        ImageOptions o = ok("-", "");
        assertEquals("-", o.getSource());
        assertEquals("", o.getTarget());
    }

    @Test
    void longOptionsWithEqualsAndSeparateValue() {
        ImageOptions o = ok("--master=spark://h:7077", "--partitions", "12", "a", "b");
        assertEquals("spark://h:7077", o.getMaster());
        assertEquals(12, o.getPartitions());
        ImageOptions p = ok("--master", "yarn", "--partitions=7", "a", "b");
        assertEquals("yarn", p.getMaster());
        assertEquals(7, p.getPartitions());
        assertEquals("x=y", ok("--conf=k=x=y", "a", "b").getConf().get("k"));
    }

    @Test
    void longOptionsMayBeAbbreviated() {
        ImageOptions o = ok("--mas", "yarn", "--part=3", "--no", "--dev", "/dev/sdd", "a", "b");
        assertEquals("yarn", o.getMaster());
        assertEquals(3, o.getPartitions());
        assertEquals(Progress.OFF, o.getProgress());
        assertEquals(List.of("/dev/sdd"), o.getDevices());
        assertEquals(USAGE, exit("--he").stdout());
        assertEquals(Progress.ON, ok("--prog", "a", "b").getProgress());
    }

    @Test
    void ambiguousLongOption() {
        assertUsageError(a("--p", "a", "b"),
                "btrfs-image: option '--p' is ambiguous; possibilities: '--partitions' '--progress'");
        assertUsageError(a("--p=4", "a", "b"),
                "btrfs-image: option '--p=4' is ambiguous; possibilities: '--partitions' '--progress'");
    }

    // ---------------------------------------------------------------- getopt errors

    @Test
    void unknownShortOption() {
        assertUsageError(a("-q", "a", "b"), "btrfs-image: invalid option -- 'q'");
        assertUsageError(a("-h"), "btrfs-image: invalid option -- 'h'");
        assertUsageError(a("-:"), "btrfs-image: invalid option -- ':'");
        assertUsageError(a("-r-"), "btrfs-image: invalid option -- '-'");
    }

    @Test
    void unknownOptionStopsBeforeLaterOptions() {
        assertUsageError(a("-q", "-c", "10", "a", "b"), "btrfs-image: invalid option -- 'q'");
        assertUsageError(a("-q", "--help"), "btrfs-image: invalid option -- 'q'");
        assertPlainError(a("-c", "10", "-q", "a", "b"), "ERROR: compression level out of range: 10");
    }

    @Test
    void unknownLongOption() {
        assertUsageError(a("--foo", "a", "b"), "btrfs-image: unrecognized option '--foo'");
        assertUsageError(a("--foo=bar", "a", "b"), "btrfs-image: unrecognized option '--foo=bar'");
        assertUsageError(a("---x"), "btrfs-image: unrecognized option '---x'");
    }

    @Test
    void missingArgument() {
        assertUsageError(a("-c"), "btrfs-image: option requires an argument -- 'c'");
        assertUsageError(a("-rt"), "btrfs-image: option requires an argument -- 't'");
        assertUsageError(a("a", "b", "--master"), "btrfs-image: option '--master' requires an argument");
        assertUsageError(a("a", "b", "--mast"), "btrfs-image: option '--master' requires an argument");
    }

    @Test
    void argumentNotAllowed() {
        assertUsageError(a("--help=1"), "btrfs-image: option '--help' doesn't allow an argument");
        assertUsageError(a("--prog=yes", "a", "b"), "btrfs-image: option '--progress' doesn't allow an argument");
    }

    @Test
    void programNameIsUsedInGetoptMessages() {
        ParseResult.Exit e = assertInstanceOf(ParseResult.Exit.class,
                OptionParser.parse("/usr/local/bin/btrfs-image", a("-q")));
        assertEquals("/usr/local/bin/btrfs-image: invalid option -- 'q'\n" + USAGE, e.stderr());
        e = assertInstanceOf(ParseResult.Exit.class, OptionParser.parse("bi", a("x")));
        assertEquals("bi: not enough arguments: 1 but at least 2 expected\n" + USAGE, e.stderr());
    }

    // ---------------------------------------------------------------- numbers

    @Test
    void compressionLevelOutOfRange() {
        assertPlainError(a("-c", "10", "a", "b"), "ERROR: compression level out of range: 10");
        assertPlainError(a("-c", "18446744073709551615", "a", "b"),
                "ERROR: compression level out of range: 18446744073709551615");
    }

    @Test
    void threadsOutOfRange() {
        assertPlainError(a("-t", "33", "a", "b"), "ERROR: number of threads out of range: 33 > 32");
    }

    @Test
    void notANumber() {
        assertPlainError(a("-c", "x", "a", "b"), "ERROR: x is not a valid numeric value");
        assertPlainError(a("-t", "5x", "a", "b"), "ERROR: 5x is not a valid numeric value");
        assertPlainError(a("-c", "0x5", "a", "b"), "ERROR: 0x5 is not a valid numeric value");
        assertPlainError(a("-c", "1e2", "a", "b"), "ERROR: 1e2 is not a valid numeric value");
        assertPlainError(a("-c", " ", "a", "b"), "ERROR:   is not a valid numeric value");
        assertPlainError(a("-c", "+", "a", "b"), "ERROR: + is not a valid numeric value");
        assertPlainError(a("-c", "5 ", "a", "b"), "ERROR: 5  is not a valid numeric value");
        assertPlainError(a("-c", "\u0665", "a", "b"), "ERROR: \u0665 is not a valid numeric value");
        assertPlainError(a("-c", "99999999999999999999x", "a", "b"),
                "ERROR: 99999999999999999999x is not a valid numeric value");
    }

    @Test
    void negativeNumber() {
        assertPlainError(a("-c", "-1", "a", "b"), "ERROR: -1: negative value is invalid");
        assertPlainError(a("-t", "-0", "a", "b"), "ERROR: -0: negative value is invalid");
        assertPlainError(a("-c", "-x", "a", "b"), "ERROR: -x: negative value is invalid");
        assertPlainError(a("-c-1", "a", "b"), "ERROR: -1: negative value is invalid");
    }

    @Test
    void tooLarge() {
        assertPlainError(a("-c", "18446744073709551616", "a", "b"), "ERROR: 18446744073709551616 is too large");
        assertPlainError(a("-t", "99999999999999999999", "a", "b"), "ERROR: 99999999999999999999 is too large");
        assertPlainError(a("-c", " -99999999999999999999", "a", "b"),
                "ERROR:  -99999999999999999999 is too large");
    }

    @Test
    void strtoullQuirks() {
        assertEquals(0, ok("-c", "", "-t", "", "a", "b").getCompressLevel());
        assertEquals(5, ok("-c", " 5", "a", "b").getCompressLevel());
        assertEquals(5, ok("-c", "+5", "a", "b").getCompressLevel());
        assertEquals(7, ok("-c", "\t7", "a", "b").getCompressLevel());
        assertEquals(10, ok("-t", "010", "a", "b").getThreads()); // base 10, not octal
        assertEquals(9, ok("-c", "00000000000000000000000009", "a", "b").getCompressLevel());
        assertEquals(0, ok("-c", " -0", "-r", "a", "b").getCompressLevel());
        // a '-' after white space wraps around like strtoull (6.2, with base 0, calls " -1" too large)
        assertPlainError(a("-c", " -1", "a", "b"), "ERROR: compression level out of range: 18446744073709551615");
        assertPlainError(a("-c", " -5", "a", "b"), "ERROR: compression level out of range: 18446744073709551611");
        assertPlainError(a("-t", " -5", "a", "b"),
                "ERROR: number of threads out of range: 18446744073709551611 > 32");
    }

    @Test
    void numbersAreCheckedInCommandLineOrder() {
        assertPlainError(a("-t", "33", "-c", "10", "a", "b"), "ERROR: number of threads out of range: 33 > 32");
        assertPlainError(a("-c", "10", "-t", "33", "a", "b"), "ERROR: compression level out of range: 10");
        assertPlainError(a("-c", "10"), "ERROR: compression level out of range: 10");
        assertPlainError(a("a", "-c", "x", "--help"), "ERROR: x is not a valid numeric value");
    }

    @Test
    void lastValueWins() {
        ImageOptions o = ok("-c", "3", "-c", "4", "-t", "1", "-t2", "a", "b");
        assertEquals(4, o.getCompressLevel());
        assertEquals(2, o.getThreads());
    }

    // ---------------------------------------------------------------- operand count and combination rules

    @ParameterizedTest
    @CsvSource({"0", "1"})
    void notEnoughArguments(int k) {
        String[] args = k == 0 ? a() : a("only");
        assertUsageError(args, "btrfs-image: not enough arguments: " + k + " but at least 2 expected");
    }

    @Test
    void notEnoughArgumentsComesBeforeOtherChecks() {
        assertUsageError(a("-r", "-s", "-d", "x"), "btrfs-image: not enough arguments: 1 but at least 2 expected");
        assertUsageError(a("--", "-r"), "btrfs-image: not enough arguments: 1 but at least 2 expected");
    }

    @Test
    void dataDumpIsRejected() {
        assertUsageError(a("-d", "a", "b"),
                "ERROR: data dump feature is experimental and is not configured in this build");
        // before (and instead of) the accumulated checks
        assertUsageError(a("-o", "-d", "-w", "a", "b"),
                "ERROR: data dump feature is experimental and is not configured in this build");
        assertUsageError(a("-r", "-d", "a", "b", "c"),
                "ERROR: data dump feature is experimental and is not configured in this build");
    }

    @Test
    void createWithOldRestore() {
        assertUsageError(a("-o", "a", "b"), "ERROR: create and restore cannot be used at the same time");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-w", "-s", "-ss", "-c1", "-c9"})
    void restoreWithCreateOnlyOptions(String opt) {
        assertUsageError(a("-r", opt, "a", "b"), "ERROR: using -w, -s, -c, -d options for restore makes no sense");
    }

    @Test
    void multiDeviceNeedsTwoTargets() {
        assertUsageError(a("-m", "a", "b"), "ERROR: not enough devices specified for -m option");
        assertUsageError(a("-r", "-m", "a", "b"), "ERROR: not enough devices specified for -m option");
    }

    @Test
    void restoreWithoutMultiDeviceNeedsExactlyOneTarget() {
        assertUsageError(a("-r", "a", "b", "c"), "ERROR: accepts only 1 device without -m option");
    }

    /** The reference ignores extra operands and writes the second: a device of the filesystem being dumped. */
    @Test
    void dumpRefusesExtraOperands() {
        assertUsageError(a("a", "b", "c"), "ERROR: a dump takes one source and one target, but 3 operands were"
                + " given (a b c); give the other devices of a multi-device filesystem with --device");
        assertUsageError(a("-c9", "-w", "/dev/sdb1", "/dev/sdc1", "out.img", "x"), "ERROR: a dump takes one source"
                + " and one target, but 4 operands were given (/dev/sdb1 /dev/sdc1 out.img x); give the other"
                + " devices of a multi-device filesystem with --device");
    }

    @Test
    void restoreErrorsAccumulate() {
        assertUsageError(a("-r", "-c", "1", "-m", "a", "b"),
                "ERROR: using -w, -s, -c, -d options for restore makes no sense",
                "ERROR: not enough devices specified for -m option");
        assertUsageError(a("-o", "-r", "-w", "-s", "a", "b", "c"),
                "ERROR: using -w, -s, -c, -d options for restore makes no sense",
                "ERROR: accepts only 1 device without -m option");
        assertUsageError(a("-rw", "--device", "x", "a", "b"),
                "ERROR: using -w, -s, -c, -d options for restore makes no sense",
                "ERROR: --device can only be used when creating an image");
    }

    @Test
    void dataDumpBuildVariant() {
        ParseResult r = OptionParser.parse("btrfs-image", a("-d", "a", "b"), true);
        assertTrue(r.options().isDumpData());
        ParseResult.Exit e = assertInstanceOf(ParseResult.Exit.class,
                OptionParser.parse("btrfs-image", a("-o", "-d", "-w", "a", "b"), true));
        assertEquals("ERROR: create and restore cannot be used at the same time\n"
                + "ERROR: -d conflicts with -w option\n" + USAGE, e.stderr());
        e = assertInstanceOf(ParseResult.Exit.class, OptionParser.parse("btrfs-image", a("-r", "-d", "a", "b"), true));
        assertEquals("ERROR: using -w, -s, -c, -d options for restore makes no sense\n" + USAGE, e.stderr());
    }

    // ---------------------------------------------------------------- help and version

    @Test
    void help() {
        ParseResult.Exit e = exit("--help");
        assertEquals(0, e.status());
        assertEquals(USAGE, e.stdout());
        assertEquals("", e.stderr());
        // immediately, whatever follows; but after errors that come before it
        assertEquals(0, exit("--help", "-q").status());
        assertEquals(0, exit("-r", "-s", "--help", "x").status());
        assertEquals(0, exit("a", "b", "c", "--help").status());
    }

    @Test
    void version() {
        ParseResult.Exit e = exit("--version");
        assertEquals(0, e.status());
        assertEquals("btrfs-image (spark-btrfs-image) 0.1.0, compatible with the btrfs-progs v6.x image format\n",
                e.stdout());
        assertEquals("", e.stderr());
        assertEquals(OptionParser.versionLine() + "\n", exit("--vers", "-c", "99").stdout());
    }

    @Test
    void usageTextStartsWithTheReferenceText() {
        assertTrue(USAGE.startsWith("usage: btrfs-image [options] source target\n\n"
                + "    Create or restore a filesystem image (metadata)\n"));
        assertTrue(USAGE.startsWith(OptionParser.REFERENCE_USAGE));
        for (String opt : List.of("--master URL", "--partitions N", "--progress", "--no-progress", "--seed",
                "--conf KEY=VALUE", "--device PATH", "--help", "--version")) {
            assertTrue(USAGE.contains("\n    " + opt + " "), opt);
        }
        assertTrue(USAGE.endsWith("\n"));
    }

    // ---------------------------------------------------------------- our own options

    @Test
    void master() {
        assertEquals("local[4]", ok("--master", "local[4]", "a", "b").getMaster());
        assertPlainError(a("--master=", "a", "b"), "ERROR: --master requires a non-empty Spark master URL");
    }

    @Test
    void partitions() {
        assertEquals(64, ok("--partitions=64", "a", "b").getPartitions());
        assertEquals(0, ok("--partitions=0", "a", "b").getPartitions());
        assertEquals(Integer.MAX_VALUE, ok("--partitions=2147483647", "a", "b").getPartitions());
        assertPlainError(a("--partitions=2147483648", "a", "b"),
                "ERROR: number of partitions out of range: 2147483648 > 2147483647");
        assertPlainError(a("--partitions=-3", "a", "b"), "ERROR: -3: negative value is invalid");
        assertPlainError(a("--partitions", "many", "a", "b"), "ERROR: many is not a valid numeric value");
    }

    @Test
    void progressLastOneWins() {
        assertEquals(Progress.ON, ok("--progress", "a", "b").getProgress());
        assertEquals(Progress.OFF, ok("--no-progress", "a", "b").getProgress());
        assertEquals(Progress.ON, ok("--no-progress", "--progress", "a", "b").getProgress());
        assertEquals(Progress.OFF, ok("--progress", "--no-progress", "a", "b").getProgress());
    }

    @Test
    void progressResolution() {
        assertTrue(Progress.AUTO.enabled(true));
        assertFalse(Progress.AUTO.enabled(false));
        assertTrue(Progress.ON.enabled(false));
        assertFalse(Progress.OFF.enabled(true));
    }

    @Test
    void seed() {
        assertEquals(OptionalLong.of(12345), ok("--seed", "12345", "a", "b").getSeed());
        assertEquals(OptionalLong.of(0xdeadbeefL), ok("--seed=0xDeadBeef", "a", "b").getSeed());
        assertEquals(OptionalLong.of(-1L), ok("--seed=0xffffffffffffffff", "a", "b").getSeed());
        assertEquals(OptionalLong.of(-1L), ok("--seed=18446744073709551615", "a", "b").getSeed());
        assertEquals(OptionalLong.of(0), ok("--seed=0X0", "a", "b").getSeed());
        for (String bad : List.of("", "0x", "deadbeef", "-1", "+1", " 1", "0x1ffffffffffffffff",
                "18446744073709551616", "1.5", "0x-1")) {
            assertPlainError(a("--seed=" + bad, "a", "b"), "ERROR: invalid seed '" + bad
                    + "': expected an unsigned 64-bit number, decimal or 0x-prefixed hexadecimal");
        }
        assertFalse(ok("--seed=77", "a", "b").toString().contains("77"), "seed must not be logged");
    }

    /** Issue 11, item 11: the secret from a private file, never from one other users can read. */
    @Test
    void seedFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Path f = dir.resolve("seed");
        java.nio.file.Files.writeString(f, "0xDeadBeef\n");
        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(OptionalLong.of(0xdeadbeefL), ok("-ss", "--seed-file", f.toString(), "a", "b").getSeed());
        java.nio.file.Files.writeString(f, "  18446744073709551615  \n\n");
        assertEquals(OptionalLong.of(-1L), ok("--seed-file=" + f, "-s", "a", "b").getSeed());
        assertFalse(ok("--seed-file=" + f, "a", "b").toString().contains("1844"), "seed must not be logged");

        for (String perms : List.of("rw-r-----", "rw----r--", "rw-rw-rw-", "r--r--r--")) {
            java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString(perms));
            assertPlainError(a("--seed-file", f.toString(), "a", "b"), "ERROR: seed file " + f
                    + " is readable by other users (mode " + perms + "): make it private first (chmod 600 " + f + ")");
        }
        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw--w--w-"));
        assertEquals(OptionalLong.of(-1L), ok("--seed-file", f.toString(), "a", "b").getSeed());

        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        for (String bad : List.of("", "secret words", "0x", "1 2", "-1", "18446744073709551616", "7".repeat(5000))) {
            java.nio.file.Files.writeString(f, bad);
            assertPlainError(a("--seed-file", f.toString(), "a", "b"), "ERROR: seed file " + f
                    + " does not hold a seed: expected one unsigned 64-bit number, decimal or 0x-prefixed hexadecimal");
        }
        java.nio.file.Path missing = dir.resolve("missing");
        assertPlainError(a("--seed-file", missing.toString(), "a", "b"),
                "ERROR: cannot read seed file " + missing + ": no such file");
        java.nio.file.Files.writeString(f, "5");
        assertPlainError(a("--seed", "5", "--seed-file", f.toString(), "a", "b"),
                "ERROR: --seed and --seed-file cannot be used together");
        assertPlainError(a("--seed-file", f.toString(), "--seed=5", "a", "b"),
                "ERROR: --seed and --seed-file cannot be used together");
    }

    /** Issue 11, item 11: the secret from the environment, which other users cannot read (/proc/PID/environ). */
    @Test
    void seedFromTheEnvironment() {
        Map<String, String> env = Map.of(OptionParser.SEED_ENV, " 0x10\n");
        assertEquals(OptionalLong.of(16), OptionParser.parse(a("-ss", "a", "b"), env).options().getSeed());
        assertEquals(OptionalLong.of(16), OptionParser.parse(a("-s", "a", "b"), env).options().getSeed());
        assertEquals(OptionalLong.of(5), OptionParser.parse(a("-ss", "--seed", "5", "a", "b"), env).options().getSeed());
        assertEquals(OptionalLong.empty(), OptionParser.parse(a("-ss", "a", "b"), Map.of()).options().getSeed());
        assertEquals(OptionalLong.empty(), OptionParser.parse(a("a", "b"), env).options().getSeed(),
                "not sanitizing: the variable is not used");
        Map<String, String> bad = Map.of(OptionParser.SEED_ENV, "my secret");
        ParseResult.Exit e = assertInstanceOf(ParseResult.Exit.class, OptionParser.parse(a("-ss", "a", "b"), bad));
        assertEquals(1, e.status());
        assertEquals("ERROR: invalid seed in the environment variable BTRFS_IMAGE_SEED: expected an unsigned 64-bit "
                + "number, decimal or 0x-prefixed hexadecimal\n", e.stderr());
        assertFalse(e.stderr().contains("my secret"), "the secret is not echoed");
        assertTrue(OptionParser.parse(a("-r", "a", "b"), bad).options() != null, "restore ignores the variable");
    }

    @Test
    void conf() {
        ImageOptions o = ok("--conf", "spark.executor.memory=4g", "--conf=fs.s3a.endpoint=http://x:9000/?a=b",
                "--conf", "empty=", "--conf", "spark.executor.memory=8g", "a", "b");
        assertEquals(List.of("spark.executor.memory", "fs.s3a.endpoint", "empty"),
                List.copyOf(o.getConf().keySet()));
        assertEquals("8g", o.getConf().get("spark.executor.memory"));
        assertEquals("http://x:9000/?a=b", o.getConf().get("fs.s3a.endpoint"));
        assertEquals("", o.getConf().get("empty"));
        assertThrows(UnsupportedOperationException.class, () -> o.getConf().put("x", "y"));
        assertPlainError(a("--conf", "novalue", "a", "b"), "ERROR: --conf expects KEY=VALUE, got 'novalue'");
        assertPlainError(a("--conf", "=v", "a", "b"), "ERROR: --conf expects KEY=VALUE, got '=v'");
    }

    @Test
    void devices() {
        ImageOptions o = ok("--device", "/dev/sdc", "/dev/sdb", "--device=/dev/sdd", "img");
        assertEquals(List.of("/dev/sdc", "/dev/sdd"), o.getDevices());
        assertEquals("/dev/sdb", o.getSource());
        assertEquals("img", o.getTarget());
        assertThrows(UnsupportedOperationException.class, () -> o.getDevices().add("x"));
        assertPlainError(a("--device=", "a", "b"), "ERROR: --device requires a non-empty path");
        assertUsageError(a("-r", "--device", "x", "a", "b"), "ERROR: --device can only be used when creating an image");
    }

    // ---------------------------------------------------------------- result plumbing

    @Test
    void exitWritesBothStreams() {
        ParseResult.Exit e = exit("-q");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = e.writeTo(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, status);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertEquals(e.stderr(), err.toString(StandardCharsets.UTF_8));
        assertThrows(IllegalStateException.class, e::options);
        assertFalse(e.isOk());
    }

    @Test
    void argumentsAreNotModified() {
        String[] args = {"b", "-r", "a"};
        ok(args);
        assertEquals(List.of("b", "-r", "a"), List.of(args));
    }

    @Test
    void builderRoundTripAndEquality() {
        ImageOptions o = ok("-m", "--conf", "k=v", "--seed=5", "img", "d1", "d2");
        assertEquals(o, o.toBuilder().build());
        assertEquals(o.hashCode(), o.toBuilder().build().hashCode());
        assertFalse(o.equals(o.toBuilder().partitions(3).build()));
        assertThrows(IllegalArgumentException.class, () -> o.toBuilder().compressLevel(10).build());
        assertThrows(IllegalArgumentException.class, () -> o.toBuilder().threads(33).build());
        assertThrows(NullPointerException.class, () -> ImageOptions.builder().source("a").build());
    }

    @Test
    void terminalDevicePaths() {
        assertTrue(Terminal.isTerminalDevice("/dev/pts/3"));
        assertTrue(Terminal.isTerminalDevice("/dev/tty1"));
        assertFalse(Terminal.isTerminalDevice("/dev/null"));
        assertFalse(Terminal.isTerminalDevice("pipe:[1234]"));
        Terminal.isStderrTerminal(); // must not throw
    }
}
