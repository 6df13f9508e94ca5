package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.spark.api.java.JavaSparkContext;

import io.sparkbtrfs.dump.PartMerge;
import io.sparkbtrfs.dump.PartPatcher;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.store.ImageOutput;
import io.sparkbtrfs.store.SerializableConfiguration;

/**
 * The merge on HDFS without moving the image through the driver. Once every part's length is known, a
 * second small stage has each executor rewrite its part into a patched copy (absolute cluster offsets,
 * the final cluster's stale entries; HDFS files are immutable), all in the staging directory and with one
 * block size; the driver then joins them with {@link FileSystem#concat} (a NameNode metadata operation)
 * and renames the result over the target's temporary file. Empty parts are skipped (concat refuses
 * them). Elsewhere {@link DumpJob} streams the parts through the driver.
 */
final class HdfsConcatMerge implements PartMerge {
    /** How many images were merged by concat in this JVM (tests check that this path ran). */
    static final AtomicInteger MERGES = new AtomicInteger();

    private final JavaSparkContext sc;
    private final Configuration conf;

    HdfsConcatMerge(JavaSparkContext sc, Configuration conf) {
        this.sc = sc;
        this.conf = conf;
    }

    /** True when the target and the staging directory are on the same HDFS. */
    static boolean applies(ImageOutput output) throws IOException {
        if (output.isStreamed() || !(output.fileSystem() instanceof DistributedFileSystem target)) {
            return false;
        }
        return output.stagingFileSystem() instanceof DistributedFileSystem staging
                && target.getUri().equals(staging.getUri());
    }

    static String patchedName(int part) {
        return "patched-" + PartTask.partName(part);
    }

    /**
     * Patches the parts on the executors, concatenates them and moves the image to the target's temporary
     * file (the caller commits). Returns the image length, or {@link #NOT_APPLICABLE} unless {@link #applies}.
     */
    @Override
    public long merge(List<PartResult> parts, ImageOutput output) throws IOException {
        if (!applies(output)) {
            return NOT_APPLICABLE;
        }
        List<PartPatcher.Patch> patches = PartPatcher.plan(parts);
        if (patches.isEmpty()) {
            throw new IOException("no part holds any cluster");
        }
        DistributedFileSystem fs = (DistributedFileSystem) output.stagingFileSystem();
        Path staging = output.staging();
        // The job's configuration decides, not that of a FileSystem instance cached earlier in this JVM.
        long blockSize = conf.getLongBytes("dfs.blocksize", fs.getDefaultBlockSize(staging));
        PatchTask task = new PatchTask(new SerializableConfiguration(conf), staging.toString(), blockSize,
                fs.getDefaultReplication(staging));
        sc.setJobGroup("btrfs-image-patch", "btrfs-image: patch " + patches.size() + " parts for concat", true);
        List<Long> written = sc.parallelize(patches, patches.size()).map(task::run).collect();
        long total = 0;
        for (int i = 0; i < patches.size(); i++) {
            if (written.get(i) != patches.get(i).length()) {
                throw new IOException("patched part " + patches.get(i).part() + " has " + written.get(i)
                        + " bytes, expected " + patches.get(i).length());
            }
            total += written.get(i);
        }
        Path first = new Path(staging, patchedName(patches.get(0).part()));
        Path[] rest = new Path[patches.size() - 1];
        for (int i = 1; i < patches.size(); i++) {
            rest[i - 1] = new Path(staging, patchedName(patches.get(i).part()));
        }
        if (rest.length > 0) {
            fs.concat(first, rest);
        }
        long length = fs.getFileStatus(first).getLen();
        if (length != total) {
            throw new IOException("concatenated image " + first + " has " + length + " bytes, expected " + total);
        }
        // Replaces the empty placeholder that reserved the temporary name; commit() then renames it to the target.
        fs.rename(first, output.temporary(), Options.Rename.OVERWRITE);
        MERGES.incrementAndGet();
        return total;
    }

    /** Executor side: writes one patched part under an attempt-unique name and commits it by rename. */
    static final class PatchTask implements Serializable {
        private static final long serialVersionUID = 1L;

        private final SerializableConfiguration conf;
        private final String staging;
        private final long blockSize;
        private final short replication;

        PatchTask(SerializableConfiguration conf, String staging, long blockSize, short replication) {
            this.conf = conf;
            this.staging = staging;
            this.blockSize = blockSize;
            this.replication = replication;
        }

        long run(PartPatcher.Patch patch) {
            Path dir = new Path(staging);
            Path src = new Path(dir, PartTask.partName(patch.part()));
            try {
                return AttemptFile.write(dir, patchedName(patch.part()), conf.get(), (fs, tmp) -> {
                    // Same block size for every patched part: concat refuses a source with a larger one than the target's.
                    try (InputStream in = new java.io.BufferedInputStream(fs.open(src), 1 << 20);
                            OutputStream out = new java.io.BufferedOutputStream(
                                    fs.create(tmp, true, 1 << 16, replication, blockSize), 1 << 20)) {
                        return PartPatcher.patch(patch, in, out);
                    }
                });
            } catch (IOException e) {
                throw new DumpTaskException("patching " + src + ": " + e.getMessage(), e);
            }
        }
    }
}
