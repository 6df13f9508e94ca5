package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.dump.Planner;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.RequestProxy;
import io.sparkbtrfs.testing.S3Proxy;

/**
 * Issue 16, acceptance 1: default and {@code -w} dumps of a snapshot in S3 (S3Proxy on 127.0.0.1, every request
 * counted by a proxy in front of it) under {@code local-cluster[2,1,1024]} make at most one GET per MiB of tree
 * blocks plus 10, and no metadata request per task; their images equal the local dumps byte for byte; {@code -w}
 * fetches each tree block once (at most 1.2 times the tree blocks, with 2 or 4 parts). The filesystem is of
 * ordinary metadata: 64,000 empty files with names of 24-200 bytes in 100 directories.
 */
class ObjectStoreReadsTest {
    private static final String BUCKET = "snapshots";
    private static final String SOURCE = "s3a://" + BUCKET + "/fs.img";
    private static final int FILES = 64_000;

    @TempDir
    static Path shared;
    static Path fs;
    static S3Proxy s3proxy;
    static RequestProxy counter;
    /** MiB of tree blocks the dump holds. */
    static double treeMib;

    @BeforeAll
    static void setUp() throws Exception {
        RefTool.assumeAvailable();
        Path tree = shared.resolve("tree");
        Random random = new Random(16);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < FILES; i++) {
            Path dir = tree.resolve("dir" + (i * 100 / FILES));
            if (i % (FILES / 100) == 0) {
                Files.createDirectories(dir);
            }
            Path file;
            do {
                name.setLength(0);
                for (int c = 24 + random.nextInt(177); c > 0; c--) {
                    name.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                file = dir.resolve(name.toString());
            } while (Files.exists(file));
            Files.createFile(file);
        }
        fs = Mkfs.image(shared.resolve("fs.img")).size(512L << 20).nodesize(16384).rootdir(tree).shrink(true).run();
        try (Volume v = Volume.open(List.of(fs.toString()), new Configuration())) {
            int nodesize = v.superblock().nodesize();
            treeMib = Planner.plan(v, false).metadataBlocks(nodesize) * (double) nodesize / (1 << 20);
        }
        assertTrue(treeMib >= 50, "the acceptance asks for at least 50 MiB of tree blocks, got " + treeMib);

        s3proxy = S3Proxy.start(shared, BUCKET);
        Configuration hadoop = new Configuration();
        List<String> kv = s3proxy.s3aSettings();
        for (int i = 0; i < kv.size(); i += 2) {
            hadoop.set(kv.get(i), kv.get(i + 1));
        }
        hadoop.setBoolean("fs.s3a.impl.disable.cache", true);
        try (FileSystem s3 = FileSystem.get(java.net.URI.create("s3a://" + BUCKET + "/"), hadoop)) {
            s3.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(fs.toUri()),
                    new org.apache.hadoop.fs.Path(SOURCE));
        }
        counter = RequestProxy.start(s3proxy.port(), 0);
        Files.createDirectories(Path.of("target", "spark-home", "jars"));
    }

    @AfterAll
    static void tearDown() {
        if (counter != null) {
            counter.close();
        }
        if (s3proxy != null) {
            s3proxy.close();
        }
    }

    /** --conf flags: s3a through the counting proxy, executors with this JVM's classpath. */
    private static List<String> flags() {
        List<String> flags = new ArrayList<>();
        List<String> kv = new ArrayList<>(s3proxy.s3aSettings());
        kv.set(kv.indexOf("fs.s3a.endpoint") + 1, counter.endpoint());
        kv.addAll(List.of("spark.executor.extraClassPath", Ours.classpath()));
        for (int i = 0; i < kv.size(); i += 2) {
            flags.add("--conf");
            flags.add(kv.get(i) + "=" + kv.get(i + 1));
        }
        return flags;
    }

    private static void dumpFromS3(Path dir, String mode) throws IOException {
        dumpFromS3WithParts(dir, mode, "--partitions", "4");
    }

    /** The dump with {@code parts} options. */
    private static void dumpFromS3WithParts(Path dir, String mode, String... parts) throws IOException {
        Path local = dir.resolve("local.img");
        List<String> opts = new ArrayList<>(List.of("-c", "1"));
        if (!mode.isEmpty()) {
            opts.add(mode);
        }
        Ours.dump(fs, local, opts.toArray(new String[0])).requireOk();

        Path remote = dir.resolve("remote.img");
        opts.addAll(flags());
        opts.addAll(List.of("--master", "local-cluster[2,1,1024]"));
        opts.addAll(List.of(parts));
        counter.reset();
        long t0 = System.nanoTime();
        Ours.Run run = Ours.dump(SOURCE, remote.toString(), opts.toArray(new String[0])).requireOk();
        long gets = counter.requests("GET");
        long heads = counter.requests("HEAD");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String reads = run.stderr().lines().filter(l -> l.startsWith("read the source")).findFirst().orElse("");
        System.err.printf("ObjectStoreReadsTest %s: %.1f MiB of tree blocks, %d GETs, %d HEADs, %d bytes back, %d ms; %s%n",
                mode.isEmpty() ? "default" : mode, treeMib, gets, heads, counter.responseBytes(), ms, reads);
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(remote),
                "the image from s3a differs from the local dump");
        assertTrue(gets <= treeMib + 10, gets + " GETs for " + treeMib + " MiB of tree blocks");
        // The driver learns the length (and checks it again before the commit); tasks open the object with it, no
        // HEAD per task: at most one per executor JVM, as its S3A client starts.
        assertTrue(heads <= 2 + 2, heads + " HEAD requests");
        assertTrue(!reads.isEmpty(), "no line on what reading the source cost: " + run.stderr());
        if (mode.equals("-w")) {
            // In walk order a part's tree blocks are strewn over the whole metadata area: read by the parts, each
            // fetched about all of it (2 parts: 1.6x the tree blocks here, 4 parts 2.3x). Read once by address and
            // exchanged between the tasks, every block is fetched once: the driver's reads, the gaps merged across.
            assertTrue(reads.contains("each item read once, by address"), reads);
            double treeBytes = treeMib * (1 << 20);
            assertTrue(counter.responseBytes() <= 1.2 * treeBytes,
                    counter.responseBytes() + " bytes fetched for " + (long) treeBytes + " of tree blocks");
        }
    }

    /** With the partitions chosen automatically: a -w dump from S3 runs one part per executor core. */
    @Test
    void walkDumpFromS3WithAutomaticPartitions(@TempDir Path dir) throws IOException {
        dumpFromS3WithParts(dir, "-w");
    }

    @Test
    void defaultDumpFromS3(@TempDir Path dir) throws IOException {
        dumpFromS3(dir, "");
    }

    @Test
    void walkDumpFromS3(@TempDir Path dir) throws IOException {
        dumpFromS3(dir, "-w");
    }
}
