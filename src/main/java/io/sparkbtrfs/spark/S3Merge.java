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

import io.sparkbtrfs.dump.PartMerge;
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
final class S3Merge implements PartMerge {
    private static final Logger LOG = LoggerFactory.getLogger(S3Merge.class);

    /** Set to false (as {@code spark.hadoop.btrfs.s3.multipart.merge}) to force the streaming merge. */
    static final String ENABLED = "btrfs.s3.multipart.merge";
    /** Minimum merge-object size; S3 requires 5 MiB, tests may lower it only against stores that allow it. */
    static final String MIN_PART = "btrfs.s3.multipart.min-part";

    private final JavaSparkContext sc;
    private final Configuration conf;

    S3Merge(JavaSparkContext sc, Configuration conf) {
        this.sc = sc;
        this.conf = conf;
    }

    /**
     * Merges the image on S3, to appear when the output is committed. Returns its length, or
     * {@link #NOT_APPLICABLE} when the target is not on S3 or the store cannot do it (the parts are then streamed).
     */
    @Override
    public long merge(List<PartResult> parts, ImageOutput output) throws IOException {
        if (!conf.getBoolean(ENABLED, true) || !S3MultipartMerge.applies(output)) {
            return NOT_APPLICABLE;
        }
        long[] lengths = parts.stream().mapToLong(PartResult::length).toArray();
        long total = 0;
        for (long l : lengths) {
            total += l;
        }
        if (total == 0) {
            return NOT_APPLICABLE;
        }
        List<int[]> groups = S3MultipartMerge.group(lengths, conf.getLong(MIN_PART, S3MultipartMerge.MIN_PART));
        PartPatcher.Patch[] byPart = new PartPatcher.Patch[parts.size()];
        for (PartPatcher.Patch p : PartPatcher.plan(parts)) {
            if (p.part() < 0 || p.part() >= parts.size() || parts.get(p.part()).part() != p.part()) {
                return NOT_APPLICABLE; // parts are numbered by their position; anything else: stream
            }
            byPart[p.part()] = p;
        }
        Path staging = output.staging();
        List<S3MultipartMerge.Source> sources = new ArrayList<>(groups.size());
        List<GroupSpec> specs = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            ArrayList<PartPatcher.Patch> patches = new ArrayList<>();
            long length = 0;
            for (int i = groups.get(g)[0]; i < groups.get(g)[1]; i++) {
                if (byPart[i] != null) {
                    patches.add(byPart[i]);
                    length += byPart[i].length();
                }
            }
            if (patches.size() == 1 && unchanged(patches.get(0))) {
                int only = patches.get(0).part();
                sources.add(new S3MultipartMerge.Source(new Path(staging, PartTask.partName(only)), length));
            } else {
                sources.add(new S3MultipartMerge.Source(new Path(staging, mergeName(g)), length));
                specs.add(new GroupSpec(g, patches, length));
            }
        }
        if (S3MultipartMerge.partCount(sources) > S3MultipartMerge.MAX_PARTS) {
            LOG.warn("image needs more than {} multipart parts; merging by streaming", S3MultipartMerge.MAX_PARTS);
            return NOT_APPLICABLE;
        }
        long started = System.nanoTime();
        if (!specs.isEmpty()) {
            GroupTask task = new GroupTask(staging.toString(), new SerializableConfiguration(conf));
            sc.setJobGroup("btrfs-image-merge", "btrfs-image: patch " + parts.size() + " parts into " + specs.size()
                    + " merge objects", true);
            List<Long> written = sc.parallelize(specs, specs.size()).map(task::run).collect();
            for (int i = 0; i < specs.size(); i++) {
                if (written.get(i) != specs.get(i).length()) {
                    throw new IOException("merge object " + specs.get(i).group() + " has " + written.get(i)
                            + " bytes, expected " + specs.get(i).length());
                }
            }
        }
        S3MultipartMerge.Pending upload;
        try {
            upload = S3MultipartMerge.copy(output.fileSystem(), output.targetPath(), output.stagingFileSystem(),
                    sources);
        } catch (UnsupportedOperationException e) {
            LOG.warn("{}; merging by streaming", e.getMessage());
            return NOT_APPLICABLE;
        }
        long merged = total;
        // Completing the upload makes the image appear: that is the commit, after the caller's checks.
        output.commitBy(() -> {
            String etag = upload.complete();
            LOG.info("{}: {} bytes from {} parts ({} patched merge objects) in {} part copies, etag {}, {} ms",
                    output.target(), merged, parts.size(), specs.size(), S3MultipartMerge.partCount(sources), etag,
                    (System.nanoTime() - started) / 1_000_000);
        }, upload::abort);
        return total;
    }

    /** True when the staged part's bytes are already final: no index needs a new offset or stale entries. */
    static boolean unchanged(PartPatcher.Patch p) {
        return p.clusterOffsets().length == 0 || (p.base() == 0 && p.staleSource() == null);
    }

    static String mergeName(int group) {
        return String.format("merge-%05d", group);
    }

    /** One merge object: the patches of its consecutive non-empty parts and its total length. */
    record GroupSpec(int group, ArrayList<PartPatcher.Patch> patches, long length) implements Serializable {
    }

    /** Executor side: writes one merge object (its parts, patched). S3 objects appear whole on close. */
    static final class GroupTask implements Serializable {
        private static final long serialVersionUID = 1L;

        private final String staging;
        private final SerializableConfiguration conf;

        GroupTask(String staging, SerializableConfiguration conf) {
            this.staging = staging;
            this.conf = conf;
        }

        long run(GroupSpec spec) {
            Path dir = new Path(staging);
            Path target = new Path(dir, mergeName(spec.group()));
            try {
                FileSystem fs = Storage.fileSystem(dir, conf.get());
                long n = 0;
                try (OutputStream out = new java.io.BufferedOutputStream(fs.create(target, true), 1 << 20)) {
                    for (PartPatcher.Patch p : spec.patches()) {
                        try (InputStream in = new java.io.BufferedInputStream(
                                fs.open(new Path(dir, PartTask.partName(p.part()))), 1 << 20)) {
                            n += PartPatcher.patch(p, in, out);
                        }
                    }
                }
                return n;
            } catch (IOException e) {
                throw new DumpTaskException(e.getMessage(), e);
            }
        }
    }
}
