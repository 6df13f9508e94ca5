package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.sparkbtrfs.dump.PartPatcher;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.store.ImageOutput;
import io.sparkbtrfs.store.S3MultipartMerge;
import io.sparkbtrfs.store.SerializableConfiguration;
import io.sparkbtrfs.store.Storage;

/**
 * The merge on S3, where the driver moves no image bytes. Once part lengths are known, a second small stage
 * has executors rewrite consecutive parts into merge objects: index blocks patched to absolute offsets (and
 * the final cluster's stale entries, as {@link io.sparkbtrfs.dump.ImageAssembler} does), grouped so that
 * every object but the last is at least 5 MiB. The driver then completes the image as a multipart upload of
 * part copies of those objects. Objects are immutable, so patching means writing new ones; all of them live
 * in the staging directory, which {@link ImageOutput#close()} removes on success and on failure.
 */
final class S3Merge {
    private static final Logger LOG = LoggerFactory.getLogger(S3Merge.class);

    /** Set to false (as {@code spark.hadoop.btrfs.s3.multipart.merge}) to force the streaming merge. */
    static final String ENABLED = "btrfs.s3.multipart.merge";
    /** Minimum merge-object size; S3 requires 5 MiB, tests may lower it only against stores that allow it. */
    static final String MIN_PART = "btrfs.s3.multipart.min-part";

    private S3Merge() {
    }

    /**
     * Merges and commits the image on S3. Returns its length, or -1 when the target is not on S3 or the
     * store cannot do it (the caller then streams the parts as usual).
     */
    static long tryMerge(JavaSparkContext sc, Configuration conf, List<PartResult> parts, ImageOutput output)
            throws IOException {
        if (!conf.getBoolean(ENABLED, true) || !S3MultipartMerge.applies(output)) {
            return -1;
        }
        long[] lengths = parts.stream().mapToLong(PartResult::length).toArray();
        long total = 0;
        for (long l : lengths) {
            total += l;
        }
        if (total == 0) {
            return -1;
        }
        List<int[]> groups = S3MultipartMerge.group(lengths, conf.getLong(MIN_PART, S3MultipartMerge.MIN_PART));
        PartPatcher patcher = new PartPatcher(parts);
        Path staging = output.staging();
        List<S3MultipartMerge.Source> sources = new ArrayList<>(groups.size());
        List<int[]> specs = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            int from = groups.get(g)[0];
            int to = groups.get(g)[1];
            int only = soleNonEmpty(lengths, from, to);
            if (only >= 0 && patcher.unchanged(only)) {
                sources.add(new S3MultipartMerge.Source(new Path(staging, PartTask.partName(only)), lengths[only]));
            } else {
                sources.add(new S3MultipartMerge.Source(new Path(staging, mergeName(g)), patcher.length(from, to)));
                specs.add(new int[] {g, from, to});
            }
        }
        if (S3MultipartMerge.partCount(sources) > S3MultipartMerge.MAX_PARTS) {
            LOG.warn("image needs more than {} multipart parts; merging by streaming", S3MultipartMerge.MAX_PARTS);
            return -1;
        }
        long started = System.nanoTime();
        if (!specs.isEmpty()) {
            GroupTask task = new GroupTask(new ArrayList<>(parts), staging.toString(),
                    new SerializableConfiguration(conf));
            sc.setJobGroup("btrfs-image-merge", "btrfs-image: patch " + parts.size() + " parts into " + specs.size()
                    + " merge objects", true);
            List<Long> written = sc.parallelize(specs, specs.size()).map(task::run).collect();
            for (int i = 0; i < specs.size(); i++) {
                int[] s = specs.get(i);
                if (written.get(i) != patcher.length(s[1], s[2])) {
                    throw new IOException("merge object " + s[0] + " has " + written.get(i) + " bytes, expected "
                            + patcher.length(s[1], s[2]));
                }
            }
        }
        String etag;
        try {
            etag = S3MultipartMerge.complete(output.targetFileSystem(), output.targetPath(),
                    output.stagingFileSystem(), sources);
        } catch (UnsupportedOperationException e) {
            LOG.warn("{}; merging by streaming", e.getMessage());
            return -1;
        }
        output.committedInPlace();
        LOG.info("{}: {} bytes from {} parts ({} patched merge objects) in {} part copies, etag {}, {} ms",
                output.target(), total, parts.size(), specs.size(), S3MultipartMerge.partCount(sources), etag,
                (System.nanoTime() - started) / 1_000_000);
        return total;
    }

    private static int soleNonEmpty(long[] lengths, int from, int to) {
        int found = -1;
        for (int i = from; i < to; i++) {
            if (lengths[i] > 0) {
                if (found >= 0) {
                    return -1;
                }
                found = i;
            }
        }
        return found;
    }

    static String mergeName(int group) {
        return String.format("merge-%05d", group);
    }

    /** Executor side: writes one merge object (its parts, patched). S3 objects appear whole on close. */
    static final class GroupTask implements Serializable {
        private static final long serialVersionUID = 1L;

        private final ArrayList<PartResult> parts;
        private final String staging;
        private final SerializableConfiguration conf;

        GroupTask(ArrayList<PartResult> parts, String staging, SerializableConfiguration conf) {
            this.parts = parts;
            this.staging = staging;
            this.conf = conf;
        }

        long run(int[] spec) {
            Path dir = new Path(staging);
            Path target = new Path(dir, mergeName(spec[0]));
            try {
                FileSystem fs = Storage.fileSystem(dir, conf.get());
                PartPatcher patcher = new PartPatcher(parts);
                try (OutputStream out = new java.io.BufferedOutputStream(fs.create(target, true), 1 << 20)) {
                    return patcher.write(spec[1], spec[2], i -> {
                        InputStream in = fs.open(new Path(dir, PartTask.partName(i)));
                        return new java.io.BufferedInputStream(in, 1 << 20);
                    }, out);
                }
            } catch (IOException e) {
                throw new DumpTaskException(e.getMessage(), e);
            }
        }
    }
}
