package io.sparkbtrfs.device;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileRange;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FutureDataInputStreamBuilder;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.functional.FutureIO;

/**
 * A device snapshot stored as a file on any Hadoop {@link FileSystem} (hdfs://, s3a://, file:, ...), where each
 * request is a round trip: batches are read with one vectored read ({@code readVectored}), their ranges sorted
 * and merged across small gaps into requests of at most {@link #MAX_REQUEST} bytes. The file is opened with
 * {@code openFile}, a read policy for positional reads and its status or length when known, so that opening it
 * costs no metadata request (S3: no HEAD) beyond the one that learnt its length.
 */
public final class HadoopBlockSource implements BlockSource {
    /** Gap between two ranges below which one request reads both (Hadoop key, bytes). */
    public static final String MERGE_GAP = "btrfs.read.merge.gap";
    /** Largest request a batch is merged into (Hadoop key, bytes). */
    public static final String MAX_REQUEST = "btrfs.read.merge.max";
    /**
     * 2 MiB on object stores: a request costs 20-50 ms there, the time to transfer several MiB, so fetching a gap
     * of unused bytes is cheaper than a second request.
     */
    static final int DEFAULT_MERGE_GAP = 2 << 20;
    /**
     * 1 MiB on HDFS and local file systems: a read costs a block reader from a datanode, a few milliseconds. Measured
     * on MiniDFSCluster (issue 16), a -w dump took 41 read operations with 256 KiB gaps, 21 with 1 MiB, 19 with 4 MiB
     * (default mode: 15), fetching 31, 42 and 42 MiB for 11 MiB of tree blocks.
     */
    static final int DEFAULT_MERGE_GAP_CLUSTER = 1 << 20;
    static final int DEFAULT_MAX_REQUEST = 8 << 20;
    /** Bytes one vectored read fetches at most (Hadoop key): bounds a task's buffers whatever the gaps. */
    public static final String MAX_IN_FLIGHT = "btrfs.read.inflight.max";
    static final long DEFAULT_MAX_IN_FLIGHT = 8L * DEFAULT_MAX_REQUEST; // 64 MiB
    /** Positional reads, whole ranges at a time: no read-ahead or prefetching of what follows. */
    private static final String READ_POLICY = Options.OpenFileOptions.FS_OPTION_OPENFILE_READ_POLICY_VECTOR + ", "
            + Options.OpenFileOptions.FS_OPTION_OPENFILE_READ_POLICY_RANDOM;

    private final String name;
    private final FSDataInputStream in;
    private final long size;
    private final int mergeGap;
    private final int maxRequest;
    private final long maxInFlight;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    public HadoopBlockSource(String uri, Configuration conf) throws IOException {
        this(uri, conf, -1);
    }

    /**
     * Opens {@code uri}; with {@code knownLength} ≥ 0 (an executor: the driver looked it up) without asking the
     * store for its status.
     */
    public HadoopBlockSource(String uri, Configuration conf, long knownLength) throws IOException {
        this.name = uri;
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(conf);
        if (fs instanceof LocalFileSystem local) {
            fs = local.getRawFileSystem(); // no .crc side files to look for
        }
        FutureDataInputStreamBuilder open = fs.openFile(path)
                .opt(Options.OpenFileOptions.FS_OPTION_OPENFILE_READ_POLICY, READ_POLICY);
        if (knownLength >= 0) {
            this.size = knownLength;
            open.optLong(Options.OpenFileOptions.FS_OPTION_OPENFILE_LENGTH, knownLength);
        } else {
            FileStatus status = fs.getFileStatus(path);
            this.size = status.getLen();
            open.withFileStatus(status);
        }
        this.in = FutureIO.awaitFuture(open.build());
        this.mergeGap = mergeGap(fs.getUri().getScheme(), conf);
        this.maxRequest = Math.max(1, conf.getInt(MAX_REQUEST, DEFAULT_MAX_REQUEST));
        this.maxInFlight = Math.max(1, conf.getLong(MAX_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT));
    }

    /** The gap across which ranges are merged into one request on a file system of {@code scheme}. */
    private static int mergeGap(String scheme, Configuration conf) {
        return Math.max(0, conf.getInt(MERGE_GAP, switch (String.valueOf(scheme)) {
            case "hdfs", "viewfs", "webhdfs", "swebhdfs", "file" -> DEFAULT_MERGE_GAP_CLUSTER;
            default -> DEFAULT_MERGE_GAP;
        }));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long position, byte[] buf, int off, int len) throws IOException {
        if (position >= size) {
            return 0;
        }
        int n = (int) Math.min(len, size - position);
        try {
            in.readFully(position, buf, off, n);
        } catch (EOFException e) {
            throw new IOException(name + ": file shorter than its reported length " + size, e);
        }
        requests.incrementAndGet();
        bytes.addAndGet(n);
        return n;
    }

    @Override
    public boolean prefersBatches() {
        return true;
    }

    @Override
    public long mergeGap() {
        return mergeGap;
    }

    /**
     * The batch's ranges sorted, merged into requests and read with vectored reads, each of requests totalling at
     * most {@link #MAX_IN_FLIGHT} bytes (usually one: a batch of sparse ranges merged across gaps may fetch many
     * times its own size, and every request of a vectored read holds its buffer until it is consumed).
     */
    @Override
    public void read(ReadBatch batch) throws IOException {
        List<Request> merged = merge(batch);
        List<FileRange> group = new ArrayList<>();
        long groupBytes = 0;
        for (Request r : merged) {
            if (!group.isEmpty() && groupBytes + (r.end - r.start) > maxInFlight) {
                readVectored(group, batch);
                group.clear();
                groupBytes = 0;
            }
            group.add(FileRange.createFileRange(r.start, (int) (r.end - r.start), r));
            groupBytes += r.end - r.start;
        }
        if (!group.isEmpty()) {
            readVectored(group, batch);
        }
    }

    private void readVectored(List<FileRange> ranges, ReadBatch batch) throws IOException {
        // One vectored read at a time per stream: readVectored promises nothing about concurrent calls.
        synchronized (in) {
            in.readVectored(ranges, ByteBuffer::allocate);
            for (FileRange range : ranges) {
                ByteBuffer data;
                try {
                    data = FutureIO.awaitFuture(range.getData());
                } catch (EOFException e) {
                    throw new IOException(name + ": file shorter than its reported length " + size, e);
                }
                Request r = (Request) range.getReference();
                for (int i : r.members) {
                    int n = Math.min(batch.length(i), (int) Math.max(0, Math.min(r.end, size) - batch.position(i)));
                    data.get((int) (batch.position(i) - r.start), batch.buffer(), batch.offset(i), n);
                    batch.done(i, n);
                }
                requests.incrementAndGet();
                bytes.addAndGet(r.end - r.start);
            }
        }
    }

    /** One request: [start, end) of the file and the ranges of the batch it serves. */
    private static final class Request {
        final long start;
        long end;
        final List<Integer> members = new ArrayList<>();

        Request(long start, long end) {
            this.start = start;
            this.end = end;
        }
    }

    /** Ranges in position order, merged across gaps of up to {@link #mergeGap}; clipped at the end of the file. */
    private List<Request> merge(ReadBatch batch) {
        List<Request> out = new ArrayList<>();
        Request current = null;
        for (int i : batch.byPosition()) {
            long start = batch.position(i);
            long end = Math.min(size, start + batch.length(i));
            if (end <= start) {
                batch.done(i, 0);
                continue;
            }
            if (current != null && start - current.end <= mergeGap
                    && Math.max(current.end, end) - current.start <= maxRequest) {
                current.end = Math.max(current.end, end);
            } else {
                current = new Request(start, end);
                out.add(current);
            }
            current.members.add(i);
        }
        return out;
    }

    @Override
    public ReadCounts counts() {
        return new ReadCounts(requests.get(), bytes.get());
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
