package io.sparkbtrfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the installed reference ({@code /usr/bin/btrfs-image}, btrfs-progs) on command lines that it rejects while
 * parsing, and compares exit status and the diagnostic lines before the usage text with ours. Skipped when the
 * reference is not installed.
 *
 * <p>Only command lines that fail during parsing are used (so the reference never opens a file), and none whose
 * outcome differs between progs versions: 6.2 parses numbers with base 0 (0x…, leading-0 octal) and calls exactly
 * 2^64-1 "too large", current progs and we parse base 10; for "-x" 6.2 says "not a valid numeric value", current progs
 * and we say "negative value is invalid"; 6.2 prints {@code --help} to stderr.
 */
class ReferenceCompatibilityTest {

    private static final Path REFERENCE = Path.of("/usr/bin/btrfs-image");

    @TempDir
    static Path workDir;

    @BeforeAll
    static void requireReference() {
        assumeTrue(Files.isExecutable(REFERENCE), "reference btrfs-image not installed");
    }

    record Outcome(int status, String stdout, String stderr) {
    }

    private static Outcome runReference(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(REFERENCE.toString());
        cmd.addAll(args);
        Path out = workDir.resolve("stdout");
        Path err = workDir.resolve("stderr");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("reference timed out on " + args);
        }
        return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    /** The part of a stderr text before the usage text. */
    private static String diagnostics(String stderr) {
        int u = stderr.indexOf("usage: btrfs-image");
        return u < 0 ? stderr : stderr.substring(0, u);
    }

    private static boolean hasUsage(String stderr) {
        return stderr.contains("usage: btrfs-image");
    }

    static Stream<List<String>> rejectedCommandLines() {
        return Stream.of(
                List.of(),
                List.of("a"),
                List.of("--", "-r"),
                List.of("-c", "10", "a", "b"),
                List.of("-c10", "-q", "a", "b"),
                List.of("-c", " -5", "a", "b"),
                List.of("-c", " +10", "a", "b"),
                List.of("-t", "33", "a", "b"),
                List.of("-t", " -5", "a", "b"),
                List.of("-t", "33", "-c", "10", "a", "b"),
                List.of("-c", "x", "a", "b"),
                List.of("-t", "5x", "a", "b"),
                List.of("-c", "1e2", "a", "b"),
                List.of("-c", " ", "a", "b"),
                List.of("-c", "+", "a", "b"),
                List.of("-c", "5 ", "a", "b"),
                List.of("-c", "-1", "a", "b"),
                List.of("-c", "-0", "a", "b"),
                List.of("-c-1", "a", "b"),
                List.of("-c", "99999999999999999999", "a", "b"),
                List.of("-c", "18446744073709551616", "a", "b"),
                List.of("-q", "a", "b"),
                List.of("-q", "--help"),
                List.of("-h"),
                List.of("-:"),
                List.of("-r-", "a", "b"),
                List.of("-c"),
                List.of("-rt"),
                List.of("--foo", "a", "b"),
                List.of("--foo=bar", "a", "b"),
                List.of("--help=1"),
                List.of("-d", "a"),
                List.of("-d", "a", "b"),
                List.of("-o", "-d", "-w", "a", "b"),
                List.of("-o", "a", "b"),
                List.of("a", "-o", "b"),
                List.of("-r", "-s", "a", "b"),
                List.of("-rw", "a", "b"),
                List.of("-r", "-ss", "a", "b"),
                List.of("-r", "-c", "1", "a", "b"),
                List.of("-m", "a", "b"),
                List.of("-r", "a", "b", "c"),
                List.of("a", "b", "c", "-r"),
                List.of("-r", "-c", "1", "-m", "a", "b"),
                List.of("-o", "-r", "-w", "-m", "a", "b"),
                List.of("-o", "-r", "-w", "-s", "a", "b", "c"));
    }

    @ParameterizedTest
    @MethodSource("rejectedCommandLines")
    void sameDiagnosticsAsReference(List<String> args) throws Exception {
        Outcome ref = runReference(args);
        ParseResult.Exit ours = assertInstanceOf(ParseResult.Exit.class,
                OptionParser.parse(REFERENCE.toString(), args.toArray(String[]::new)), "we accepted " + args);
        assertEquals(ref.status(), ours.status(), "exit status for " + args);
        assertEquals(1, ours.status());
        assertEquals("", ours.stdout());
        assertEquals(ref.stdout(), ours.stdout());
        assertEquals(diagnostics(ref.stderr()), diagnostics(ours.stderr()), "diagnostics for " + args);
        assertEquals(hasUsage(ref.stderr()), hasUsage(ours.stderr()), "usage shown for " + args);
        if (hasUsage(ref.stderr())) {
            String refUsage = ref.stderr().substring(ref.stderr().indexOf("usage: btrfs-image"));
            assertTrue(ours.stderr().endsWith(OptionParser.usage()));
            assertTrue(OptionParser.usage().startsWith(refUsage), "reference usage is a prefix of ours");
        }
    }

    @Test
    void helpTextExtendsTheReferenceText() throws Exception {
        Outcome ref = runReference(List.of("--help"));
        assertEquals(0, ref.status());
        ParseResult.Exit ours = assertInstanceOf(ParseResult.Exit.class, OptionParser.parse(new String[] {"--help"}));
        assertEquals(0, ours.status());
        // 6.2 writes --help to stderr, newer progs to stdout; we write to stdout.
        String refText = ref.stdout().isEmpty() ? ref.stderr() : ref.stdout();
        // progs >= 6.13 lists --version/--help in its usage; REFERENCE_USAGE is the 6.2 text.
        assumeTrue(!refText.contains("--version"), "reference newer than the usage text we copy");
        assertEquals(OptionParser.REFERENCE_USAGE, refText);
        assertTrue(ours.stdout().startsWith(refText));
    }
}
