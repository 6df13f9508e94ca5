package io.sparkbtrfs.device;

import java.io.Serializable;

/**
 * What reading a source cost: the requests issued to its store (a positional read, or one merged range of a
 * batch: on S3 each is a GET, on HDFS a read operation) and the bytes they fetched.
 */
public record ReadCounts(long requests, long bytes) implements Serializable {
    public static final ReadCounts NONE = new ReadCounts(0, 0);

    public ReadCounts plus(ReadCounts other) {
        return new ReadCounts(requests + other.requests, bytes + other.bytes);
    }

    public ReadCounts minus(ReadCounts other) {
        return new ReadCounts(requests - other.requests, bytes - other.bytes);
    }
}
