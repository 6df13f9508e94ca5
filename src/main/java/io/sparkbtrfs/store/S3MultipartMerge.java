package io.sparkbtrfs.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.S3AFileSystem;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.UploadPartCopyResponse;

/**
 * Server-side assembly of an object on S3: a multipart upload whose parts are {@code UploadPartCopy}s of
 * existing objects, so no image byte passes through the driver. S3 requires every part but the last to be
 * at least 5 MiB and at most 5 GiB, and at most 10,000 parts; {@link #group} and {@link #ranges} shape the
 * sources to fit. The client is S3A's own (same endpoint, credentials, path style, retries and timeouts as
 * the {@code fs.s3a.*} configuration). Completing the upload makes the object appear atomically.
 */
public final class S3MultipartMerge {
    public static final long MIN_PART = 5L << 20;
    public static final long MAX_PART = 5L << 30;
    public static final int MAX_PARTS = 10_000;
    private static final int COPY_THREADS = 8;

    private S3MultipartMerge() {
    }

    /** One source object (a whole object, copied in one or more ranged part copies). */
    public record Source(Path path, long length) {
    }

    /** True when the target and the staging directory are both on S3A, so part copy can be used. */
    public static boolean applies(ImageOutput output) throws IOException {
        if (output.isStreamed()) {
            return false;
        }
        try {
            return output.fileSystem() instanceof S3AFileSystem
                    && output.stagingFileSystem() instanceof S3AFileSystem;
        } catch (LinkageError e) {
            return false; // hadoop-aws or the SDK missing from the classpath
        }
    }

    /**
     * Splits consecutive items into groups of total length at least {@code min} (as {@code [from, to)});
     * the last group takes the remainder and may be smaller. Empty items join their neighbours.
     */
    public static List<int[]> group(long[] lengths, long min) {
        List<int[]> groups = new ArrayList<>();
        int from = 0;
        long acc = 0;
        for (int i = 0; i < lengths.length; i++) {
            acc += lengths[i];
            if (acc >= min) {
                groups.add(new int[] {from, i + 1});
                from = i + 1;
                acc = 0;
            }
        }
        if (from < lengths.length) {
            if (acc > 0 || groups.isEmpty()) {
                groups.add(new int[] {from, lengths.length});
            } else {
                groups.get(groups.size() - 1)[1] = lengths.length;
            }
        }
        return groups;
    }

    /** Byte ranges {@code [first, last]} of at most {@link #MAX_PART} that split an object of {@code length} evenly. */
    public static List<long[]> ranges(long length) {
        List<long[]> out = new ArrayList<>();
        long n = Math.max(1, (length + MAX_PART - 1) / MAX_PART);
        long size = (length + n - 1) / n;
        for (long first = 0; first < length; first += size) {
            out.add(new long[] {first, Math.min(length, first + size) - 1});
        }
        return out;
    }

    /** Number of upload parts {@code sources} need. */
    public static int partCount(List<Source> sources) {
        long n = 0;
        for (Source s : sources) {
            n += ranges(s.length()).size();
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /** A multipart upload whose parts are all copied: invisible until {@link #complete()}. */
    public static final class Pending {
        private final S3Client s3;
        private final String bucket;
        private final String key;
        private final String uploadId;
        private final List<CompletedPart> parts;
        private final Path target;
        private boolean finished;

        Pending(S3Client s3, String bucket, String key, String uploadId, List<CompletedPart> parts, Path target) {
            this.s3 = s3;
            this.bucket = bucket;
            this.key = key;
            this.uploadId = uploadId;
            this.parts = parts;
            this.target = target;
        }

        /** Makes the object appear at the target; returns its ETag. */
        public synchronized String complete() throws IOException {
            try {
                String etag = s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                        .multipartUpload(m -> m.parts(parts))).eTag();
                finished = true;
                return etag;
            } catch (SdkException e) {
                abort();
                throw new IOException("multipart upload to " + target + " failed: " + e.getMessage(), e);
            }
        }

        /** Drops the upload (nothing appears). Never throws. */
        public synchronized void abort() {
            if (finished) {
                return;
            }
            finished = true;
            abort(s3, bucket, key, uploadId);
        }

        private static void abort(S3Client s3, String bucket, String key, String uploadId) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (SdkException ignored) {
                // best effort; a bucket lifecycle rule should clean incomplete uploads anyway
            }
        }
    }

    /**
     * Starts a multipart upload of {@code target} on {@code targetFs} and copies {@code sources} (in order, on
     * {@code sourceFs}) into its parts; the object appears only on {@link Pending#complete()}. On failure the
     * upload is aborted. {@link UnsupportedOperationException} when the store refuses multipart uploads.
     */
    public static Pending copy(FileSystem targetFs, Path target, FileSystem sourceFs, List<Source> sources)
            throws IOException {
        S3AFileSystem dst = (S3AFileSystem) targetFs;
        S3AFileSystem src = (S3AFileSystem) sourceFs;
        S3Client s3 = dst.getS3AInternals().getAmazonS3Client("btrfs-image multipart merge");
        String bucket = dst.getBucket();
        String key = dst.pathToKey(target);
        String srcBucket = src.getBucket();
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key).contentType("application/octet-stream"))
                    .uploadId();
        } catch (SdkException e) {
            throw new UnsupportedOperationException("cannot start a multipart upload to " + target + ": "
                    + e.getMessage(), e);
        }
        ExecutorService pool = Executors.newFixedThreadPool(COPY_THREADS, r -> {
            Thread t = new Thread(r, "s3-part-copy");
            t.setDaemon(true);
            return t;
        });
        boolean done = false;
        try {
            List<Future<CompletedPart>> futures = new ArrayList<>();
            int number = 0;
            for (Source s : sources) {
                String srcKey = src.pathToKey(s.path());
                for (long[] r : ranges(s.length())) {
                    int partNumber = ++number;
                    String range = "bytes=" + r[0] + "-" + r[1];
                    futures.add(pool.submit(() -> {
                        UploadPartCopyResponse resp = s3.uploadPartCopy(b -> b.sourceBucket(srcBucket)
                                .sourceKey(srcKey).destinationBucket(bucket).destinationKey(key).uploadId(uploadId)
                                .partNumber(partNumber).copySourceRange(range));
                        return CompletedPart.builder().partNumber(partNumber).eTag(resp.copyPartResult().eTag())
                                .build();
                    }));
                }
            }
            List<CompletedPart> completed = new ArrayList<>(futures.size());
            for (Future<CompletedPart> f : futures) {
                completed.add(f.get());
            }
            done = true;
            return new Pending(s3, bucket, key, uploadId, completed, target);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while merging " + target, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new IOException("multipart copy to " + target + " failed: " + c.getMessage(), c);
        } catch (SdkException e) {
            throw new IOException("multipart upload to " + target + " failed: " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
            if (!done) {
                Pending.abort(s3, bucket, key, uploadId);
            }
        }
    }
}
