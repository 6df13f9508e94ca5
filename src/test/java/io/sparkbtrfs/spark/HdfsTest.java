package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.Partition;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.Planner;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Issue 5, acceptance 1: a MiniDFSCluster (one datanode, 1 MiB blocks) holds the source filesystem image; the
 * image is written to HDFS and merged by concat of executor-patched parts; it equals the local-mode image (and
 * the reference tool's) byte for byte; restore reads it from HDFS. Parts carry the source's block hosts.
 */
class HdfsTest {
    /** Block size of the source file in HDFS. */
    private static final long BLOCK = 1L << 20;
    /** Block size our dump writes with: the -c 9 image is ~1.4 MB, so its four parts each span blocks. */
    private static final long TARGET_BLOCK = 256L << 10;
    private static final String[] OPTS = {"-c", "9", "-w", "--partitions", "4"};

    @TempDir
    static Path shared;
    static MiniDFSCluster cluster;
    static FileSystem dfs;
    static String nn;
    static String hdfsSource;
    static Path localFs;
    static byte[] localImage;
    static byte[] referenceImage;

    @BeforeAll
    static void start() throws IOException {
        RefTool.assumeAvailable();
        Path tree = shared.resolve("tree");
        TreeGenerator.withSeed(55).fileCount(5000).bigDirFiles(1000).largeFiles(2, 65536, 131072).generate(tree);
        localFs = Mkfs.image(shared.resolve("fs.img")).size(256L << 20).nodesize(16384).rootdir(tree).run();

        Path local = shared.resolve("local.img");
        Ours.dump(localFs, local, OPTS).requireOk();
        localImage = Files.readAllBytes(local);
        Path ref = shared.resolve("ref.img");
        RefTool.dump(localFs, ref, "-c", "9", "-w").requireOk();
        referenceImage = Files.readAllBytes(ref);
        assertArrayEquals(referenceImage, localImage, "local-mode image differs from the reference tool's");

        long t0 = System.nanoTime();
        Configuration conf = new Configuration();
        conf.setLong("dfs.blocksize", BLOCK);
        conf.setLong("dfs.namenode.fs-limits.min-block-size", 64L << 10);
        cluster = new MiniDFSCluster.Builder(conf, shared.resolve("dfs").toFile()).numDataNodes(1).build();
        cluster.waitActive();
        dfs = cluster.getFileSystem();
        nn = dfs.getUri().toString();
        long t1 = System.nanoTime();
        dfs.mkdirs(new org.apache.hadoop.fs.Path("/src"));
        dfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(localFs.toUri()),
                new org.apache.hadoop.fs.Path("/src/fs.img"));
        hdfsSource = nn + "/src/fs.img";
        System.err.printf("HdfsTest: MiniDFSCluster up in %.1f s, 256 MiB copied in %.1f s%n", (t1 - t0) / 1e9,
                (System.nanoTime() - t1) / 1e9);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.shutdown(true);
        }
    }

    private static String[] dumpOpts() {
        List<String> opts = new ArrayList<>(List.of(OPTS));
        // Block size is the writer's choice: small blocks so that parts span several of them.
        opts.addAll(List.of("--conf", "dfs.blocksize=" + TARGET_BLOCK, "--conf", "fs.defaultFS=" + nn));
        return opts.toArray(new String[0]);
    }

    private static byte[] readHdfs(String path) throws IOException {
        try (InputStream in = dfs.open(new org.apache.hadoop.fs.Path(path))) {
            return in.readAllBytes();
        }
    }

    private static int ours(String... args) {
        return Ours.inJvm(args).requireOk().status();
    }

    @Test
    void hdfsToHdfsIsMergedByConcatAndEqualsTheLocalImage() throws IOException {
        dfs.mkdirs(new org.apache.hadoop.fs.Path("/out1"));
        int before = HdfsConcatMerge.MERGES.get();
        long t0 = System.nanoTime();
        Ours.dump(hdfsSource, nn + "/out1/out.img", dumpOpts()).requireOk();
        System.err.printf("HdfsTest: hdfs->hdfs dump in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertEquals(before + 1, HdfsConcatMerge.MERGES.get(), "the image was not merged by concat");

        byte[] image = readHdfs("/out1/out.img");
        assertArrayEquals(localImage, image, "HDFS image differs from the local-mode image");
        assertArrayEquals(referenceImage, image, "HDFS image differs from the reference tool's");

        FileStatus[] left = dfs.listStatus(new org.apache.hadoop.fs.Path("/out1"));
        assertEquals(List.of("out.img"), Arrays.stream(left).map(s -> s.getPath().getName()).toList(),
                "staging directory or temporary file left behind");
        FileStatus st = dfs.getFileStatus(new org.apache.hadoop.fs.Path("/out1/out.img"));
        assertEquals(TARGET_BLOCK, st.getBlockSize());
        int blocks = dfs.getFileBlockLocations(st, 0, st.getLen()).length;
        // Concat keeps each part's partial last block: more blocks than a file written in one go would have.
        assertTrue(blocks > (st.getLen() + TARGET_BLOCK - 1) / TARGET_BLOCK,
                blocks + " blocks for " + st.getLen() + " bytes: not the block layout of concatenated parts");
    }

    @Test
    void localSourceToHdfsTargetAlsoConcats() throws IOException {
        dfs.mkdirs(new org.apache.hadoop.fs.Path("/out2"));
        int before = HdfsConcatMerge.MERGES.get();
        Ours.dump(localFs.toString(), nn + "/out2/out.img", dumpOpts()).requireOk();
        assertEquals(before + 1, HdfsConcatMerge.MERGES.get());
        assertArrayEquals(localImage, readHdfs("/out2/out.img"));
        assertEquals(1, dfs.listStatus(new org.apache.hadoop.fs.Path("/out2")).length);
    }

    @Test
    void hdfsSourceToLocalTargetStreams(@TempDir Path dir) throws IOException {
        int before = HdfsConcatMerge.MERGES.get();
        Path out = dir.resolve("out.img");
        Ours.dump(hdfsSource, out.toString(), dumpOpts()).requireOk();
        assertEquals(before, HdfsConcatMerge.MERGES.get(), "concat is for HDFS targets only");
        assertArrayEquals(localImage, Files.readAllBytes(out));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void restoreReadsTheImageFromHdfs(@TempDir Path dir) throws IOException {
        dfs.mkdirs(new org.apache.hadoop.fs.Path("/out3"));
        Ours.dump(hdfsSource, nn + "/out3/out.img", dumpOpts()).requireOk();
        Path fromHdfs = dir.resolve("from-hdfs.img");
        Path fromLocal = dir.resolve("from-local.img");
        Path local = dir.resolve("local.img");
        Files.write(local, localImage);
        long t0 = System.nanoTime();
        ours("--no-progress", "-r", nn + "/out3/out.img", fromHdfs.toString());
        System.err.printf("HdfsTest: restore from HDFS in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        ours("--no-progress", "-r", local.toString(), fromLocal.toString());
        assertEquals(Files.size(fromLocal), Files.size(fromHdfs));
        assertEquals(-1L, Files.mismatch(fromLocal, fromHdfs), "restored targets differ");
        var check = RefTool.check(fromHdfs);
        assertTrue(check.ok(), check.output());
    }

    /** Block reads the datanode has served so far (each positional read of a block is one). */
    private static long blocksRead() throws ReflectiveOperationException {
        Object metrics = cluster.getDataNodes().get(0).getMetrics();
        java.lang.reflect.Field f = metrics.getClass().getDeclaredField("blocksRead");
        f.setAccessible(true);
        return ((org.apache.hadoop.metrics2.lib.MutableCounterLong) f.get(metrics)).value();
    }

    private static long readOps(String source, Path out, String... mode) throws Exception {
        List<String> opts = new ArrayList<>(List.of(mode));
        opts.addAll(List.of("-c", "9", "--partitions", "4", "--conf", "fs.defaultFS=" + nn));
        long before = blocksRead();
        Ours.Run run = Ours.dump(source, out.toString(), opts.toArray(new String[0])).requireOk();
        long ops = blocksRead() - before;
        System.err.printf("HdfsTest: %s dump: %d datanode block reads; %s%n", mode.length == 0 ? "default" : String.join(" ", mode), ops,
                run.stderr().lines().filter(l -> l.startsWith("read the source")).findFirst().orElse(""));
        return ops;
    }

    /**
     * Issue 16, acceptance 3: -w costs HDFS at most twice the read operations of a default dump. The source is
     * copied with HDFS's default block size (128 MiB) so that a read is one operation, as on a real cluster;
     * with the 1 MiB blocks of the other tests every MiB read would count as one.
     */
    @Test
    void walkReadsAreBatchedLikeTheDefaultMode(@TempDir Path dir) throws Exception {
        org.apache.hadoop.fs.Path big = new org.apache.hadoop.fs.Path("/src/fs-128m.img");
        Configuration conf = new Configuration(dfs.getConf());
        conf.setLong("dfs.blocksize", 128L << 20);
        try (FileSystem fs = FileSystem.newInstance(dfs.getUri(), conf)) {
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(localFs.toUri()), big);
        }
        String source = nn + big.toUri().getPath();
        long plain = readOps(source, dir.resolve("default.img"));
        long walk = readOps(source, dir.resolve("walk.img"), "-w");
        assertArrayEquals(localImage, Files.readAllBytes(dir.resolve("walk.img")));
        assertTrue(plain > 0, "no block reads counted");
        assertTrue(walk <= 2 * plain, "-w: " + walk + " block reads, default: " + plain);
    }

    /**
     * A -w dump from HDFS reads its items once by address and exchanges them between tasks; a leaf of the fs tree
     * destroyed on every copy (which the walk plans on its parent's word, unread) then fails the dump with the line
     * the local dump prints, and {@code --best-effort} reports the same problems and writes the same image.
     */
    @Test
    void damagedLeafThroughTheExchangeAsFromALocalFile(@TempDir Path dir) throws Exception {
        Path damaged = io.sparkbtrfs.testing.SparseFiles.copy(localFs, dir.resolve("damaged.img"));
        long leaf;
        try (Volume v = Volume.open(List.of(damaged.toString()), new Configuration())) {
            leaf = RefTool.rootOf(damaged, "FS_TREE");
            for (byte[] b = v.readTreeBlock(leaf); io.sparkbtrfs.format.TreeBlock.level(b, 0) > 0; b = v.readTreeBlock(leaf)) {
                leaf = io.sparkbtrfs.format.TreeBlock.childPointer(b, 0, 0);
            }
        }
        byte[] junk = new byte[16384];
        new java.util.Random(leaf).nextBytes(junk);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(damaged.toFile(), "rw")) {
            for (long p : RefTool.physicalCopies(damaged, leaf)) {
                f.seek(p);
                f.write(junk);
            }
        }
        org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path("/src/damaged.img");
        dfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(damaged.toUri()), remote);
        String source = nn + remote.toUri().getPath();
        String[] strict = {"-w", "-c", "9", "--partitions", "4", "--conf", "fs.defaultFS=" + nn};

        Ours.Run local = Ours.dump(damaged, dir.resolve("strict-local.img"), strict);
        Ours.Run exchanged = Ours.dump(source, dir.resolve("strict-hdfs.img").toString(), strict);
        Ours.Run ownReads = Ours.dump(source, dir.resolve("strict-own.img").toString(),
                append(strict, "--conf", DumpJob.EXCHANGE + "=false"));
        assertEquals(1, local.status(), local.stderr());
        assertEquals(1, exchanged.status(), exchanged.stderr());
        assertEquals(1, ownReads.status(), ownReads.stderr());
        String error = errorLine(exchanged.stderr());
        assertEquals(errorLine(ownReads.stderr()), error, "the line of the parts reading their own items");
        // Spark's runner names the source, the in-process one does not: the same failure otherwise.
        assertEquals("ERROR: " + source + ": unable to read metadata block " + leaf + ": checksum mismatch (crc32c)",
                error);
        assertEquals(error.replace(source + ": ", ""), errorLine(local.stderr()));
        assertFalse(Files.exists(dir.resolve("strict-hdfs.img")), "no image after a failed dump");

        String[] best = {"-w", "-c", "9", "--partitions", "4", "--conf", "fs.defaultFS=" + nn, "--best-effort",
            "--report"};
        Path localImage = dir.resolve("best-local.img");
        Path hdfsImage = dir.resolve("best-hdfs.img");
        Ours.dump(damaged, localImage, append(best, dir.resolve("local.json").toString())).requireOk();
        Ours.Run run = Ours.dump(source, hdfsImage.toString(), append(best, dir.resolve("hdfs.json").toString()))
                .requireOk();
        assertTrue(run.stderr().contains("WARNING: 1 tree block(s) could not be read or validated:"), run.stderr());
        assertTrue(run.stderr().contains("each item read once, by address, in 4 tasks"), run.stderr());
        String problems = problems(dir.resolve("local.json"));
        assertTrue(problems.contains("\"logical\":" + leaf + ","), problems);
        assertEquals(problems, problems(dir.resolve("hdfs.json")));
        assertArrayEquals(Files.readAllBytes(localImage), Files.readAllBytes(hdfsImage));
    }

    private static String errorLine(String stderr) {
        return stderr.lines().filter(l -> l.startsWith("ERROR: ")).findFirst().orElse("no ERROR line in: " + stderr);
    }

    private static String[] append(String[] opts, String... more) {
        String[] out = Arrays.copyOf(opts, opts.length + more.length);
        System.arraycopy(more, 0, out, opts.length, more.length);
        return out;
    }

    /** The problems of a --report, without the names of source and image. */
    private static String problems(Path report) throws IOException {
        String json = Files.readString(report);
        return json.substring(json.indexOf("\"problems\":"));
    }

    @Test
    void partitionsPreferTheHostsOfTheSourceBlocks() throws Exception {
        Configuration conf = new Configuration();
        conf.set("fs.defaultFS", nn);
        try (Volume v = Volume.open(List.of(hdfsSource), conf)) {
            ItemPlan plan = Planner.plan(v, true);
            List<io.sparkbtrfs.dump.PartSpec> specs = io.sparkbtrfs.dump.PartSpec.split(plan, 4,
                    new io.sparkbtrfs.dump.DumpSettings(io.sparkbtrfs.dump.Codec.NONE));
            assertEquals(4, specs.size());
            List<List<String>> hosts = PartPlacement.hosts(conf, v.descriptor(), plan, specs);
            assertEquals(4, hosts.size());
            String datanode = cluster.getDataNodes().get(0).getDatanodeId().getHostName();
            for (List<String> h : hosts) {
                assertEquals(List.of(datanode), h);
            }

            SparkConf sparkConf = new SparkConf().setMaster("local[2]").setAppName("placement")
                    .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1");
            try (JavaSparkContext sc = new JavaSparkContext(sparkConf)) {
                JavaRDD<io.sparkbtrfs.dump.PartSpec> rdd = PartPlacement.rdd(sc, conf, v.descriptor(), plan, specs);
                Partition[] partitions = rdd.rdd().partitions();
                assertEquals(4, partitions.length);
                for (Partition p : partitions) {
                    List<String> preferred = scala.jdk.javaapi.CollectionConverters.asJava(
                            rdd.rdd().preferredLocations(p));
                    assertFalse(preferred.isEmpty(), "partition " + p.index() + " has no preferred location");
                    assertEquals(List.of(datanode), preferred);
                }
                List<Integer> seen = rdd.map(s -> s.part()).collect();
                assertEquals(List.of(0, 1, 2, 3), seen, "one part per partition, in order");
            }

            // A local source has no block hosts to prefer.
            try (Volume lv = Volume.open(List.of(localFs.toString()), conf)) {
                assertEquals(null, PartPlacement.hosts(conf, lv.descriptor(), plan, specs));
            }
        }
    }

    /**
     * Nightly archival to HDFS: a full image of a kernel-written filesystem written to HDFS, then a delta made with
     * {@code --incremental} naming that image by its URI, written next to it; compact reads both links from HDFS and
     * gives exactly the full dump of the source (to a local file and to HDFS), verify and info read them there too.
     * A truncated link on HDFS is refused, naming it and the offset, with no target left.
     */
    @Test
    void chainOfImagesOnHdfs(@TempDir Path dir) throws IOException {
        io.sparkbtrfs.testing.KernelFs.assumeAvailable();
        Path fs = Mkfs.image(dir.resolve("kfs.img")).size(256L << 20).run();
        Path mnt = dir.resolve("mnt");
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        try (io.sparkbtrfs.testing.KernelFs.Mounted m = io.sparkbtrfs.testing.KernelFs.mount(fs, mnt)) {
            for (int f = 0; f < 800; f++) {
                m.writeFile("d" + (f % 4) + "/file-" + f, new byte[100 + rnd.nextInt(2000)]);
            }
        }
        dfs.mkdirs(new org.apache.hadoop.fs.Path("/chain"));
        String base = nn + "/chain/mon.img";
        String delta = nn + "/chain/tue.delta";
        Ours.dump(fs.toString(), base, "-c", "1").requireOk();
        try (io.sparkbtrfs.testing.KernelFs.Mounted m = io.sparkbtrfs.testing.KernelFs.mount(fs, mnt)) {
            for (int f = 0; f < 800; f += 10) {
                m.writeFile("d" + (f % 4) + "/file-" + f, new byte[100 + rnd.nextInt(2000)]);
            }
            m.subvolumeCreate("sub");
        }
        Ours.Run d = Ours.dump(fs.toString(), delta, "-c", "1", "--incremental", base).requireOk();
        assertTrue(d.stderr().contains("blocks carried"), d.stderr());
        Path full = dir.resolve("full.img");
        Ours.dump(fs, full, "-c", "1").requireOk();

        Path compact = dir.resolve("compact.img");
        Ours.inJvm("compact", base, delta, compact.toString()).requireOk();
        assertArrayEquals(Files.readAllBytes(full), Files.readAllBytes(compact),
                "compact of the links on HDFS differs from the full dump");
        Ours.inJvm("compact", base, delta, nn + "/chain/compact.img").requireOk();
        assertArrayEquals(Files.readAllBytes(full), readHdfs("/chain/compact.img"),
                "compact to HDFS differs from the full dump");

        String verified = Ours.inJvm("verify", base, delta).requireOk().stdout();
        assertTrue(verified.contains("chain of 2 links") && verified.contains("every block present and sound"),
                verified);
        String info = Ours.inJvm("info", delta).requireOk().stdout();
        assertTrue(info.contains("base generation:"), info);

        // A link cut short on HDFS: named, with the offset where its image ends, and no target.
        byte[] b = readHdfs("/chain/tue.delta");
        String cut = nn + "/chain/cut.delta";
        try (java.io.OutputStream o = dfs.create(new org.apache.hadoop.fs.Path("/chain/cut.delta"))) {
            o.write(Arrays.copyOf(b, b.length / 2));
        }
        Path target = dir.resolve("refused.img");
        for (String[] args : List.of(new String[] {"compact", base, cut, target.toString()},
                new String[] {"verify", base, cut})) {
            Ours.Run r = Ours.inJvm(args);
            System.out.println("refused: " + r.stderr().strip());
            assertEquals(1, r.status(), r.stderr());
            List<String> lines = r.stderr().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), r.stderr());
            assertTrue(lines.get(0).startsWith("ERROR: link 2") && lines.get(0).contains(cut)
                    && lines.get(0).contains("truncated") && lines.get(0).contains("offset"), r.stderr());
            assertFalse(Files.exists(target), "target left behind");
        }
        // A link with a byte flipped in its last cluster's payload: named, with the offset of that cluster.
        byte[] f = b.clone();
        f[f.length - 2000] ^= 0x10;
        String flipped = nn + "/chain/flipped.delta";
        try (java.io.OutputStream o = dfs.create(new org.apache.hadoop.fs.Path("/chain/flipped.delta"))) {
            o.write(f);
        }
        Ours.Run r = Ours.inJvm("compact", base, flipped, target.toString());
        System.out.println("refused: " + r.stderr().strip());
        assertEquals(1, r.status(), r.stderr());
        assertTrue(r.stderr().startsWith("ERROR: link 2") && r.stderr().contains(flipped)
                && r.stderr().contains("offset") && r.stderr().lines().count() == 1, r.stderr());
        assertFalse(Files.exists(target), "target left behind");
        // A base that is not there.
        Ours.Run missing = Ours.dump(fs.toString(), dir.resolve("x.delta").toString(), "-c", "1", "--incremental",
                nn + "/chain/none.img");
        assertEquals(1, missing.status());
        assertTrue(missing.stderr().contains("cannot open base image " + nn + "/chain/none.img: no such file"),
                missing.stderr());
    }
}
