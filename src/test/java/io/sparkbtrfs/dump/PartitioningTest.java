package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import java.io.IOException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.cli.Main;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Acceptance 4: the bytes do not depend on the number of partitions, on the master (a local cluster with
 * executors in other JVMs) or on writing to stdout.
 */
class PartitioningTest {
    @TempDir
    static Path shared;
    static Path fs;
    static byte[] reference;

    @BeforeAll
    static void makeFs() throws IOException {
        RefTool.assumeAvailable();
        Path tree = shared.resolve("tree");
        TreeGenerator.withSeed(99).fileCount(4000).bigDirFiles(800).generate(tree);
        fs = shared.resolve("fs.img");
        Mkfs.image(fs).size(256L << 20).nodesize(4096).rootdir(tree).run();
        Path ref = shared.resolve("ref.img");
        RefTool.dump(fs, ref, "-w", "-c", "1").requireOk();
        reference = Files.readAllBytes(ref);
        assertTrue(reference.length > 20 * 1024, "expected several clusters");
    }

    private static byte[] dump(Path dir, String name, String... opts) throws IOException {
        Path out = dir.resolve(name);
        String[] all = Stream.concat(Stream.of("-w", "-c", "1"), Stream.of(opts)).toArray(String[]::new);
        Ours.dump(fs, out, all).requireOk();
        return Files.readAllBytes(out);
    }

    @Test
    void partitionCountDoesNotChangeTheImage(@TempDir Path dir) throws IOException {
        for (String runner : List.of("in-process", "spark")) {
            assertArrayEquals(reference, dump(dir, "p1.img", "--runner", runner, "--partitions", "1"), runner);
            assertArrayEquals(reference, dump(dir, "p7.img", "--runner", runner, "--partitions", "7"), runner);
            assertArrayEquals(reference, dump(dir, "p100.img", "--runner", runner, "--partitions", "100"), runner);
            assertArrayEquals(reference, dump(dir, "auto.img", "--runner", runner), runner);
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(4, left.count(), "staging debris left next to the images");
        }
    }

    /**
     * Stream images ({@code --compress zstd}): frames span runs of clusters, and where they end comes from the
     * plan, so 1, 7 and automatic partitions give the same bytes (frames of 128 KiB here, a cluster or two each).
     */
    @Test
    void zstdFramesDoNotDependOnPartitions(@TempDir Path dir) throws IOException {
        String[] small = {"-w", "--compress", "zstd", "--conf", StreamFrames.FRAME_BYTES_PROPERTY + "=131072"};
        byte[] one = zstd(dir, "z1.img", small, "--partitions", "1");
        assertArrayEquals(one, zstd(dir, "z7.img", small, "--partitions", "7"));
        assertArrayEquals(one, zstd(dir, "zauto.img", small));
        int starts = 0;
        try (java.io.InputStream in = new java.io.ByteArrayInputStream(one)) {
            io.sparkbtrfs.image.ImageReader r = new io.sparkbtrfs.image.ImageReader(in, "z1");
            for (io.sparkbtrfs.image.ImageReader.Cluster c = r.next(); c != null; c = r.next()) {
                starts += c.marks() & io.sparkbtrfs.image.MetadumpFormat.MARK_START;
            }
        } catch (io.sparkbtrfs.image.ImageFormatException e) {
            throw new AssertionError(e);
        }
        assertTrue(starts >= 8, "only " + starts + " frames: partitions could not differ");
    }

    private static byte[] zstd(Path dir, String name, String[] opts, String... more) throws IOException {
        Path out = dir.resolve(name);
        Ours.dump(fs, out, Stream.concat(Stream.of(opts), Stream.of(more)).toArray(String[]::new)).requireOk();
        return Files.readAllBytes(out);
    }

    @Test
    void localClusterWithExecutorJvmsGivesTheSameImage(@TempDir Path dir) throws IOException {
        Files.createDirectories(Path.of("target", "spark-home", "jars"));
        byte[] image = dump(dir, "cluster.img", "--master", "local-cluster[2,1,1024]", "--partitions", "4",
                "--conf", "spark.executor.extraClassPath=" + Ours.classpath());
        assertArrayEquals(reference, image);
    }

    @Test
    void extentTreeLeavesScannedByExecutorsGiveTheReferencePlan(@TempDir Path dir) throws IOException {
        // Default mode (extent-tree order): the driver reads the internal nodes, tasks scan runs of 3 leaves.
        Path ref = dir.resolve("ref-extent.img");
        RefTool.dump(fs, ref, "-c", "1").requireOk();
        byte[] want = Files.readAllBytes(ref);
        String[] scan = {"--conf", io.sparkbtrfs.spark.ExtentScanJob.MIN_LEAVES + "=1",
            "--conf", io.sparkbtrfs.spark.ExtentScanJob.LEAVES_PER_TASK + "=3"};
        Path local = dir.resolve("local.img");
        Ours.dump(fs, local, Stream.concat(Stream.of("-c", "1", "--master", "local[2]"), Stream.of(scan))
                .toArray(String[]::new)).requireOk();
        assertArrayEquals(want, Files.readAllBytes(local));
        Files.createDirectories(Path.of("target", "spark-home", "jars"));
        Path cluster = dir.resolve("cluster.img");
        Ours.dump(fs, cluster, Stream.concat(Stream.of("-c", "1", "--master", "local-cluster[2,1,1024]",
                "--conf", "spark.executor.extraClassPath=" + Ours.classpath()), Stream.of(scan))
                .toArray(String[]::new)).requireOk();
        assertArrayEquals(want, Files.readAllBytes(cluster));
    }

    @Test
    void hadoopFileSystemUrisForSourceAndTarget(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("uri.img");
        Ours.dump(fs.toUri().toString(), out.toUri().toString(), "-w", "-c", "1").requireOk();
        assertArrayEquals(reference, Files.readAllBytes(out));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(1, left.count(), "no .crc side files or staging debris");
        }
    }

    /**
     * In-process from a source read as a remote store is (a {@code file:} URI through Hadoop), -w in 4 parts: each
     * part's blocks are strewn over the metadata, so the plan's items are read once by address into a shared local
     * spill (no exchange without Spark): the reference's bytes, each tree block fetched about once.
     */
    @Test
    void inProcessWalkFromAUriReadsEachBlockOnce(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("spilled.img");
        Ours.Run run = Ours.dump(fs.toUri().toString(), out.toString(), "-w", "-c", "1", "--runner", "in-process",
                "--partitions", "4").requireOk();
        assertArrayEquals(reference, Files.readAllBytes(out));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("dumped (\\d+) tree blocks .*").matcher(run.stderr());
        assertTrue(m.find(), run.stderr());
        java.util.regex.Matcher parts = java.util.regex.Pattern.compile("(\\d+) \\(([0-9.]+) MiB\\) writing the parts")
                .matcher(run.stderr());
        assertTrue(parts.find(), run.stderr());
        double treeMib = Long.parseLong(m.group(1)) * 4096 / 1048576.0; // nodesize of this fixture
        assertTrue(Double.parseDouble(parts.group(2)) <= 1.2 * treeMib, run.stderr());
        try (Stream<Path> left = Files.list(ItemSpill.DIR)) {
            assertEquals(0, left.filter(p -> p.getFileName().toString().startsWith("btrfs-image-spill-")).count(),
                    "no spill file left behind");
        }
    }

    /** As a user runs it (a child JVM, stdout redirected to a file), in-process and on Spark in 3 parts. */
    @Test
    void stdoutTargetGivesTheSameImage(@TempDir Path dir) throws Exception {
        for (String runner : List.of("in-process", "spark")) {
            Path captured = dir.resolve("stdout-" + runner + ".img");
            List<String> cmd = new java.util.ArrayList<>(io.sparkbtrfs.testing.Ours.command());
            cmd.addAll(List.of("--no-progress", "--runner", runner, "-w", "-c", "1", "--partitions", "3",
                    fs.toString(), "-"));
            Process p = new ProcessBuilder(cmd).redirectOutput(captured.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), runner);
            assertEquals(0, p.exitValue(), runner);
            assertArrayEquals(reference, Files.readAllBytes(captured), runner);
        }
    }
}
