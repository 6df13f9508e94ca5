package io.sparkbtrfs.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real S3 API server (S3Proxy 4.1.0, filesystem backend) in a child JVM on 127.0.0.1. It runs from its own
 * classpath ({@code target/s3proxy-lib}, built once from {@code src/test/s3proxy/pom.xml}): its Jackson 3 BOM
 * and Jetty must not meet Spark's (platform notes §1). A bucket is a directory under the base directory.
 */
public final class S3Proxy implements AutoCloseable {
    public static final String IDENTITY = "local-identity";
    public static final String CREDENTIAL = "local-credential";
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private final Process process;
    private final int port;
    private final Path baseDir;
    private final Path log;

    private S3Proxy(Process process, int port, Path baseDir, Path log) {
        this.process = process;
        this.port = port;
        this.baseDir = baseDir;
        this.log = log;
    }

    /** Starts S3Proxy with its data under {@code workDir} and the given buckets created. */
    public static S3Proxy start(Path workDir, String... buckets) throws IOException {
        Path lib = lib();
        Path base = workDir.resolve("s3data");
        Files.createDirectories(base);
        for (String b : buckets) {
            Files.createDirectories(base.resolve(b));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path props = workDir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + IDENTITY,
                "s3proxy.credential=" + CREDENTIAL,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + base,
                ""));
        Path log = workDir.resolve("s3proxy.log");
        // S3Proxy ships no logback configuration: logback's default is DEBUG for every request (slow, huge).
        Path logback = workDir.resolve("s3proxy-logback.xml");
        Files.writeString(logback, String.join("\n",
                "<configuration>",
                "  <appender name=\"OUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
                "    <encoder><pattern>%d{HH:mm:ss.SSS} %level %logger{0}: %msg%n</pattern></encoder>",
                "  </appender>",
                "  <root level=\"WARN\"><appender-ref ref=\"OUT\"/></root>",
                "</configuration>", ""));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dlogback.configurationFile=" + logback,
                "-cp", lib + "/*", "org.gaul.s3proxy.Main", "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        S3Proxy proxy = new S3Proxy(p, port, base, log);
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("S3Proxy exited with " + p.exitValue() + ": " + proxy.logText());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return proxy;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    proxy.close();
                    throw new IOException("S3Proxy did not listen on port " + port + " within " + STARTUP + ": "
                            + proxy.logText());
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    proxy.close();
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
    }

    /** The runner's jars; built with Maven on first use (offline when the local repository has them). */
    static synchronized Path lib() throws IOException {
        Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Path lib = basedir.resolve("target").resolve("s3proxy-lib");
        if (hasS3Proxy(lib)) {
            return lib;
        }
        Path pom = basedir.resolve("src/test/s3proxy/pom.xml");
        List<String> cmd = new ArrayList<>(List.of("mvn", "-q", "-B", "-f", pom.toString(),
                "dependency:copy-dependencies", "-DoutputDirectory=" + lib));
        List<String> offline = new ArrayList<>(cmd);
        offline.add(1, "-o");
        Proc.Result r = Proc.run(offline, Duration.ofMinutes(5), basedir);
        if (!r.ok()) {
            r = Proc.run(cmd, Duration.ofMinutes(10), basedir);
        }
        if (!r.ok() || !hasS3Proxy(lib)) {
            throw new IOException("cannot build the S3Proxy runner: " + r.describe());
        }
        return lib;
    }

    private static boolean hasS3Proxy(Path lib) throws IOException {
        if (!Files.isDirectory(lib)) {
            return false;
        }
        try (Stream<Path> s = Files.list(lib)) {
            return s.anyMatch(f -> f.getFileName().toString().startsWith("s3proxy-"));
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The directory that holds bucket {@code bucket}'s objects. */
    public Path bucketDir(String bucket) {
        return baseDir.resolve(bucket);
    }

    /** The s3a settings for this server, as Hadoop keys and values (key, value, key, value, ...). */
    public List<String> s3aSettings(String accessKey, String secretKey) {
        return List.of("fs.s3a.endpoint", endpoint(),
                "fs.s3a.endpoint.region", "us-east-1",
                "fs.s3a.path.style.access", "true",
                "fs.s3a.connection.ssl.enabled", "false",
                "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                "fs.s3a.access.key", accessKey,
                "fs.s3a.secret.key", secretKey);
    }

    /** {@link #s3aSettings} with the right credentials. */
    public List<String> s3aSettings() {
        return s3aSettings(IDENTITY, CREDENTIAL);
    }

    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
