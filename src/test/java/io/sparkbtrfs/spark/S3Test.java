package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.S3Proxy;

/**
 * Issue 5, acceptance 2 and the S3 half of 5: source and target on {@code s3a://} against S3Proxy (a real S3
 * API in a child JVM); the merge is a server-side multipart upload of part copies, with small parts coalesced
 * to the 5 MiB minimum; the image equals the local-mode image byte for byte; restore reads from S3; bad
 * credentials and a missing bucket fail fast with one line.
 */
class S3Test {
    private static final String BUCKET = "bucket";
    private static final String SOURCE = "s3a://" + BUCKET + "/images/fs.img";

    @TempDir
    static Path shared;
    static Path fs;
    static S3Proxy proxy;
    static Configuration hadoop;
    static FileSystem s3;
    private static final Map<String, byte[]> LOCAL_IMAGES = new HashMap<>();

    @BeforeAll
    static void setUp() throws IOException {
        RefTool.assumeAvailable();
        // ~16k files of 2000 random bytes, stored inline: ~40 MiB of metadata, so -c 0 parts are large.
        Path tree = shared.resolve("tree");
        Random random = new Random(5);
        byte[] data = new byte[2000];
        for (int d = 0; d < 40; d++) {
            Path dir = Files.createDirectories(tree.resolve("d" + d));
            for (int f = 0; f < 400; f++) {
                random.nextBytes(data);
                Files.write(dir.resolve("f" + f), data);
            }
        }
        fs = shared.resolve("fs.img");
        Mkfs.image(fs).size(512L << 20).nodesize(16384).rootdir(tree).shrink(true).run();
        proxy = S3Proxy.start(shared, BUCKET);
        hadoop = new Configuration();
        List<String> kv = proxy.s3aSettings();
        for (int i = 0; i < kv.size(); i += 2) {
            hadoop.set(kv.get(i), kv.get(i + 1));
        }
        hadoop.setBoolean("fs.s3a.impl.disable.cache", true);
        s3 = FileSystem.get(java.net.URI.create("s3a://" + BUCKET + "/"), hadoop);
        s3.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(fs.toUri()),
                new org.apache.hadoop.fs.Path(SOURCE));
        // No mkdirs for s3a://bucket/out/: on S3 a directory is just a key prefix.
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (s3 != null) {
            s3.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    /** --conf flags for the tool: the s3a settings plus short retries and timeouts. */
    private static List<String> confFlags(String accessKey, String secretKey) {
        List<String> flags = new ArrayList<>();
        List<String> kv = new ArrayList<>(proxy.s3aSettings(accessKey, secretKey));
        kv.addAll(List.of("fs.s3a.attempts.maximum", "1", "fs.s3a.retry.limit", "1", "fs.s3a.retry.interval", "100ms",
                "fs.s3a.connection.establish.timeout", "5s", "fs.s3a.connection.timeout", "15s"));
        for (int i = 0; i < kv.size(); i += 2) {
            flags.add("--conf");
            flags.add(kv.get(i) + "=" + kv.get(i + 1));
        }
        return flags;
    }

    private static String[] opts(List<String> conf, String... more) {
        List<String> all = new ArrayList<>(conf);
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    private static byte[] download(String uri) throws IOException {
        try (InputStream in = s3.open(new org.apache.hadoop.fs.Path(uri))) {
            return in.readAllBytes();
        }
    }

    private static String etag(String uri) throws IOException {
        return ((S3AFileSystem) s3).getS3AInternals().getObjectMetadata(new org.apache.hadoop.fs.Path(uri)).eTag()
                .replace("\"", "");
    }

    /** Number of parts of a multipart object from its ETag ("md5-N"), or 0 for a plain PUT. */
    private static int multipartParts(String uri) throws IOException {
        String e = etag(uri);
        int dash = e.lastIndexOf('-');
        return dash < 0 ? 0 : Integer.parseInt(e.substring(dash + 1));
    }

    /** Everything under the bucket except the source, as keys. */
    private static List<String> outputKeys() throws IOException {
        List<String> keys = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = s3.listFiles(new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/"), true);
        while (it.hasNext()) {
            String p = it.next().getPath().toUri().getPath();
            if (!p.equals("/images/fs.img")) {
                keys.add(p);
            }
        }
        return keys;
    }

    /**
     * The local-mode {@code -c LEVEL -w} image of the source, dumped once per level for the whole class: what every
     * S3 image of that level must equal (the partition count does not change an image, see PartitioningTest).
     */
    private static synchronized byte[] localImage(String level) throws IOException {
        byte[] image = LOCAL_IMAGES.get(level);
        if (image == null) {
            Path local = shared.resolve("local-c" + level + ".metadump");
            Ours.dump(fs, local, "-c", level, "-w").requireOk();
            image = Files.readAllBytes(local);
            Files.delete(local);
            LOCAL_IMAGES.put(level, image);
        }
        return image;
    }

    private byte[] dumpBoth(String name, String level, int partitions, int[] parts) throws IOException {
        byte[] expected = localImage(level);
        String target = "s3a://" + BUCKET + "/out/" + name;
        long t0 = System.nanoTime();
        Ours.dump(SOURCE, target, opts(confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL), "-c", level, "-w",
                "--partitions", String.valueOf(partitions))).requireOk();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertArrayEquals(expected, download(target), name + ": S3 image differs from the local-mode image");
        parts[0] = multipartParts(target);
        System.out.printf("S3Test %s: %d bytes, %d partitions, etag %s, %d ms%n", name, expected.length, partitions,
                etag(target), ms);
        return expected;
    }

    @Test
    void multipartMergeOfLargeSmallAndCoalescedParts() throws IOException {
        int[] n = new int[1];
        // -c 0, 3 partitions: every part well above 5 MiB, one part copy each.
        byte[] big = dumpBoth("c0p3.metadump", "0", 3, n);
        assertTrue(big.length / 3 > (6L << 20), "parts should be above 5 MiB: " + big.length);
        assertEquals(3, n[0], "one part copy per staged part");
        // -c 0, 12 partitions: ~3.5 MiB parts (below the minimum) coalesced in groups of two or so.
        byte[] mid = dumpBoth("c0p12.metadump", "0", 12, n);
        assertTrue(mid.length / 12 < (5L << 20), "parts should be below 5 MiB: " + mid.length);
        assertTrue(n[0] >= 2 && n[0] < 12, "small parts coalesced, got " + n[0] + " upload parts");
        // -c 9: tiny compressed parts, all coalesced into one object.
        byte[] small = dumpBoth("c9p6.metadump", "9", 6, n);
        assertTrue(small.length < (5L << 20), "compressed image is small: " + small.length);
        assertEquals(1, n[0], "tiny parts coalesced into one upload part");
        assertEquals(List.of("/out/c0p12.metadump", "/out/c0p3.metadump", "/out/c9p6.metadump"),
                outputKeys().stream().sorted().toList(), "staging objects or temporary files left behind");
    }

    /**
     * The extent tree scanned by Spark tasks (every leaf count above the threshold): what those tasks read from S3 is
     * counted and shown on the reads line, beside the driver's and the parts'; the image is the local dump's.
     */
    @Test
    void extentScanOnExecutorsCountsItsReads(@TempDir Path dir) throws IOException {
        Path local = dir.resolve("local.img");
        Ours.dump(fs, local, "-c", "1", "--runner", "in-process").requireOk();
        Path remote = dir.resolve("remote.img");
        Ours.Run run = Ours.dump(SOURCE, remote.toString(), opts(confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL),
                "--conf", ExtentScanJob.MIN_LEAVES + "=1", "--conf", ExtentScanJob.LEAVES_PER_TASK + "=2",
                "--master", "local[2]", "-c", "1")).requireOk();
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(remote));
        String reads = run.stderr().lines().filter(l -> l.startsWith("read the source")).findFirst().orElse("");
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile(", (\\d+) \\([^)]*\\) scanning the extent tree on executors, ").matcher(reads);
        assertTrue(m.find(), "no extent-scan figure on the reads line: " + run.stderr());
        assertTrue(Long.parseLong(m.group(1)) > 0, reads);
    }

    @Test
    void streamingMergeWhenMultipartIsDisabled() throws IOException {
        String target = "s3a://" + BUCKET + "/out/streamed.metadump";
        Ours.dump(SOURCE, target, opts(confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL), "--conf",
                S3Merge.ENABLED + "=false", "-c", "9", "-w", "--partitions", "3")).requireOk();
        assertArrayEquals(localImage("9"), download(target));
        assertEquals(0, multipartParts(target), "streamed, not a multipart copy: " + etag(target));
        assertEquals(List.of("/out/streamed.metadump"),
                outputKeys().stream().filter(k -> k.contains("streamed")).toList());
        s3.delete(new org.apache.hadoop.fs.Path(target), false);
    }

    @Test
    void failedMultipartMergeLeavesNoTargetAndNoStaging() throws IOException {
        // Parts of a few hundred KiB with the minimum lowered below S3's 5 MiB: the store refuses to complete.
        List<String> before = outputKeys();
        String target = "s3a://" + BUCKET + "/out/refused.metadump";
        Ours.Run run = Ours.dump(SOURCE, target, opts(confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL), "--conf",
                S3Merge.MIN_PART + "=1", "-c", "9", "-w", "--partitions", "4"));
        assertEquals(1, run.status(), run.stderr());
        assertTrue(run.stderr().contains(target), run.stderr());
        assertEquals(before, outputKeys(), "target, temporary file or staging objects left behind");
    }

    @Test
    void restoreFromS3(@TempDir Path dir) throws IOException {
        String image = "s3a://" + BUCKET + "/out/restore.metadump";
        Ours.dump(SOURCE, image, opts(confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL), "-c", "9", "-w",
                "--partitions", "4")).requireOk();
        Path restored = dir.resolve("restored.img");
        Ours.dump(image, restored.toString(), opts(confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL), "-r"))
                .requireOk();
        Proc.Result check = RefTool.check(restored);
        assertEquals(0, check.exitCode(), "btrfs check failed:\n" + check.output());
        s3.delete(new org.apache.hadoop.fs.Path(image), false);
    }

    private static void assertOneErrorLine(Proc.Result r, String uri, Duration limit) {
        assertEquals(1, r.exitCode(), r.describe());
        assertFalse(r.timedOut(), r.describe());
        assertTrue(r.elapsed().compareTo(limit) < 0, "took " + r.elapsed() + ": " + r.describe());
        List<String> errors = r.stderr().lines().filter(l -> l.startsWith("ERROR:")).toList();
        assertEquals(1, errors.size(), r.describe());
        assertTrue(errors.get(0).contains(uri), "error line should name " + uri + ": " + errors.get(0));
        assertFalse(r.stderr().lines().anyMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by:")
                || l.startsWith("Exception in thread")), "stack trace on stderr: " + r.describe());
        System.out.printf("S3Test bad config (%d ms): %s%n", r.elapsed().toMillis(), errors.get(0));
    }

    @Test
    void wrongCredentialsFailWithOneLine(@TempDir Path dir) {
        List<String> bad = confFlags(S3Proxy.IDENTITY, "wrong-secret");
        Proc.Result source = Ours.process(Duration.ofMinutes(2),
                opts(bad, "--no-progress", "-c", "9", SOURCE, dir.resolve("x.img").toString()));
        assertOneErrorLine(source, SOURCE, Duration.ofSeconds(60));
        String target = "s3a://" + BUCKET + "/out/denied.metadump";
        Proc.Result out = Ours.process(Duration.ofMinutes(2),
                opts(bad, "--no-progress", "-c", "9", fs.toString(), target));
        assertOneErrorLine(out, target, Duration.ofSeconds(60));
    }

    @Test
    void missingBucketFailsWithOneLine(@TempDir Path dir) {
        List<String> good = confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL);
        String src = "s3a://no-such-bucket/images/fs.img";
        Proc.Result source = Ours.process(Duration.ofMinutes(2),
                opts(good, "--no-progress", "-c", "9", src, dir.resolve("x.img").toString()));
        assertOneErrorLine(source, src, Duration.ofSeconds(60));
        String target = "s3a://no-such-bucket/out/fs.metadump";
        Proc.Result out = Ours.process(Duration.ofMinutes(2),
                opts(good, "--no-progress", "-c", "9", fs.toString(), target));
        assertOneErrorLine(out, target, Duration.ofSeconds(60));
    }

    /**
     * Nightly archival to S3: a full image of a kernel-written filesystem to {@code s3a://}, then a delta made with
     * {@code --incremental} naming it by its URI, written next to it; compact and verify, given the store's settings
     * with {@code --conf}, read the links there: compact equals the full dump of the source, verify passes. The
     * objects are removed afterwards (other tests list the bucket).
     */
    @Test
    void chainOfImagesOnS3(@TempDir Path dir) throws IOException {
        io.sparkbtrfs.testing.KernelFs.assumeAvailable();
        Path kfs = Mkfs.image(dir.resolve("kfs.img")).size(256L << 20).run();
        Path mnt = dir.resolve("mnt");
        Random random = new Random(9);
        try (io.sparkbtrfs.testing.KernelFs.Mounted m = io.sparkbtrfs.testing.KernelFs.mount(kfs, mnt)) {
            for (int f = 0; f < 600; f++) {
                m.writeFile("d" + (f % 3) + "/file-" + f, new byte[100 + random.nextInt(2000)]);
            }
        }
        List<String> conf = confFlags(S3Proxy.IDENTITY, S3Proxy.CREDENTIAL);
        String base = "s3a://" + BUCKET + "/chain/mon.img";
        String delta = "s3a://" + BUCKET + "/chain/tue.delta";
        try {
            Ours.dump(kfs.toString(), base, opts(conf, "-c", "1")).requireOk();
            try (io.sparkbtrfs.testing.KernelFs.Mounted m = io.sparkbtrfs.testing.KernelFs.mount(kfs, mnt)) {
                for (int f = 0; f < 600; f += 10) {
                    m.writeFile("d" + (f % 3) + "/file-" + f, new byte[100 + random.nextInt(2000)]);
                }
            }
            Ours.dump(kfs.toString(), delta, opts(conf, "-c", "1", "--incremental", base)).requireOk();
            Path full = dir.resolve("full.img");
            Ours.dump(kfs, full, "-c", "1").requireOk();
            Path compact = dir.resolve("compact.img");
            List<String> args = new ArrayList<>(List.of("compact"));
            args.addAll(conf);
            args.addAll(List.of(base, delta, compact.toString()));
            assertEquals(0, main(args), "compact");
            assertArrayEquals(Files.readAllBytes(full), Files.readAllBytes(compact),
                    "compact of the links on S3 differs from the full dump");
            List<String> verify = new ArrayList<>(List.of("verify"));
            verify.addAll(conf);
            verify.addAll(List.of(base, delta));
            assertEquals(0, main(verify), "verify");
        } finally {
            s3.delete(new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/chain"), true);
        }
    }

    private static int main(List<String> args) {
        Ours.Run r = Ours.inJvm(args.toArray(new String[0]));
        if (r.status() != 0) {
            System.out.println(r.stderr());
        }
        return r.status();
    }
}
