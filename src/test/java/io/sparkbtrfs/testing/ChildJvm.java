package io.sparkbtrfs.testing;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The JVM behind {@link Ours#command()}: started as {@code scripts/btrfs-image} starts the tool (C1 only, the
 * parallel collector, a young generation of 16 MiB per core, a class-data archive), so that the suite's child JVMs
 * cost what a user's run costs rather than a default JVM's C2 compilation and class loading: a small successful
 * dump took 11.9 s of CPU with the defaults, 6.4 s with these flags, 4.2 s with the archive too; a refused
 * source 3.4 s, 2.5 s and 1.3 s (two runs each, on a busy 2-core machine).
 *
 * <p>The archive: CDS takes classes from jars only and refuses a class path with a non-empty directory, so the
 * main classes are packed into {@code target/test-cds/classes-HASH.jar} (HASH over their names, sizes and times)
 * and a training run of {@code io.sparkbtrfs.cli.Warmup} (what {@code scripts/btrfs-image} trains with: dumps in
 * every mode, restore, info, verify) writes {@code target/test-cds/HASH-JAVA.jsa}, once per build of the main
 * classes. The children's class path is then the dependency jars and that jar, followed (outside the archive) by
 * a jar of the test classes that children load as plugins ({@link FaultPlugin}); the test classes' logging
 * configuration is named on the command line. If anything of this fails, children run from the test class path
 * as before, with the same flags.
 */
final class ChildJvm {
    private static final List<String> OPENS = List.of("-XX:+IgnoreUnrecognizedVMOptions",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED");
    /** scripts/btrfs-image's flags for its one-shot JVM (see the comments there). */
    private static final List<String> FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseParallelGC",
            "-Xmn" + Runtime.getRuntime().availableProcessors() * 16 + "m", "-Xshare:auto", "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off");
    private static final String MAIN = "io/sparkbtrfs/cli/Main.class";
    private static final String LOG_CONFIG = "log4j2-test.properties";
    /** Test classes that child JVMs load by name (Spark plugins): packed into a jar after the archived ones. */
    private static final String PLUGINS = "io/sparkbtrfs/testing/FaultPlugin";

    /** JVM options and class path after the java binary, before the main class; computed once. */
    private static List<String> prefix;

    private ChildJvm() {
    }

    /** {@code java FLAGS -cp CP io.sparkbtrfs.cli.Main} (a new, mutable list). */
    static synchronized List<String> command() {
        if (prefix == null) {
            prefix = prepare();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(prefix);
        cmd.add("io.sparkbtrfs.cli.Main");
        return cmd;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> prepare() {
        List<String> plain = new ArrayList<>(OPENS);
        plain.addAll(FLAGS);
        plain.addAll(List.of("-cp", Ours.classpath()));
        try {
            List<String> archived = archived();
            return archived != null ? archived : plain;
        } catch (IOException | RuntimeException e) {
            System.err.println("ChildJvm: no class-data archive for child JVMs (" + e + ")");
            return plain;
        }
    }

    /** Options with the archive, or null when the class path is not target/classes + test classes + jars. */
    private static List<String> archived() throws IOException {
        List<String> jars = new ArrayList<>();
        Path classes = null;
        Path logConfig = null;
        for (String entry : Ours.classpath().split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isRegularFile(p)) {
                jars.add(entry);
            } else if (Files.isRegularFile(p.resolve(MAIN))) {
                classes = p;
            } else if (Files.isRegularFile(p.resolve(LOG_CONFIG))) {
                logConfig = p.resolve(LOG_CONFIG);
            } else if (Files.isDirectory(p)) {
                return null; // a directory we do not know: keep the class path as it is
            }
        }
        if (classes == null || logConfig == null) {
            return null;
        }
        Path dir = Files.createDirectories(classes.toAbsolutePath().getParent().resolve("test-cds"));
        String hash = hash(classes, files(classes));
        Path jar = dir.resolve("classes-" + hash + ".jar");
        if (!Files.isRegularFile(jar)) {
            writeJar(classes, files(classes), jar);
        }
        Path testClasses = logConfig.getParent();
        List<Path> plugins = files(testClasses).stream()
                .filter(f -> testClasses.relativize(f).toString().replace(File.separatorChar, '/').startsWith(PLUGINS))
                .toList();
        Path pluginJar = dir.resolve("plugins-" + hash(testClasses, plugins) + ".jar");
        if (!Files.isRegularFile(pluginJar)) {
            writeJar(testClasses, plugins, pluginJar);
        }
        jars.add(jar.toString());
        String cp = String.join(File.pathSeparator, jars);
        List<String> opts = new ArrayList<>(OPENS);
        opts.addAll(FLAGS);
        opts.add("-Dlog4j2.configurationFile=" + logConfig);
        Path archive = dir.resolve(hash + "-" + digest(System.getProperty("java.home") + " "
                + System.getProperty("java.vm.version")).substring(0, 12) + ".jsa");
        if (!Files.isRegularFile(archive)) {
            removeStale(dir);
            if (!train(opts, cp, archive)) {
                return null;
            }
        }
        opts.add("-XX:SharedArchiveFile=" + archive);
        // The archive's class path is a prefix of the run's: classes appended after it load as usual.
        opts.addAll(List.of("-cp", cp + File.pathSeparator + pluginJar));
        return opts;
    }

    /** Runs Warmup with -XX:ArchiveClassesAtExit; true if the archive is in place. */
    private static boolean train(List<String> opts, String cp, Path archive) throws IOException {
        Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(opts);
        cmd.add("-XX:ArchiveClassesAtExit=" + tmp);
        cmd.addAll(List.of("-cp", cp, "io.sparkbtrfs.cli.Warmup"));
        long t0 = System.nanoTime();
        Proc.Result r = Proc.run(cmd, Duration.ofMinutes(10));
        try {
            if (!r.ok() || !Files.isRegularFile(tmp) || Files.size(tmp) == 0) {
                System.err.println("ChildJvm: training run for the class-data archive failed: " + r.describe());
                return false;
            }
            Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            System.out.printf("ChildJvm: class-data archive %s (%d MiB) trained in %d ms%n", archive,
                    Files.size(archive) >> 20, (System.nanoTime() - t0) / 1_000_000);
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Jars and archives of earlier builds (an archive is 60 MiB). */
    private static void removeStale(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                if (n.endsWith(".jsa") && !n.contains(".tmp-")) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static List<Path> files(Path classes) throws IOException {
        try (Stream<Path> s = Files.walk(classes)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Over the names, sizes and modification times of {@code files} (what a rebuild changes). */
    private static String hash(Path classes, List<Path> files) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path f : files) {
            sb.append(classes.relativize(f)).append(' ').append(Files.size(f)).append(' ')
                    .append(Files.getLastModifiedTime(f).toMillis()).append('\n');
        }
        return digest(sb.toString()).substring(0, 16);
    }

    private static String digest(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeJar(Path classes, List<Path> files, Path jar) throws IOException {
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream j = new JarOutputStream(out)) {
            for (Path f : files) {
                j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        } catch (IOException | UncheckedIOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
