package io.sparkbtrfs.device;

import java.io.Closeable;
import java.io.IOException;

/** Positional reads from one device snapshot: a local file, a block device or a Hadoop FileSystem file. */
public interface BlockSource extends Closeable {

    /** What to call this source in messages (the path or URI the user gave). */
    String name();

    /** Size in bytes. */
    long size() throws IOException;

    /**
     * Reads up to {@code len} bytes at {@code position}; returns how many were read, fewer only at the
     * end of the source.
     */
    int read(long position, byte[] buf, int off, int len) throws IOException;

    /** Reads every range of {@code batch}; here one {@link #read} each, remote stores gather them. */
    default void read(ReadBatch batch) throws IOException {
        for (int i = 0; i < batch.size(); i++) {
            batch.done(i, read(batch.position(i), batch.buffer(), batch.offset(i), batch.length(i)));
        }
    }

    /**
     * Whether callers should gather reads into batches: true where every request costs a round trip (object
     * stores, HDFS), false where a positional read is a system call on a local file (the fast path).
     */
    default boolean prefersBatches() {
        return false;
    }

    /** The gap across which a batch's ranges are read as one request (0: each range on its own). */
    default long mergeGap() {
        return 0;
    }

    /** The requests issued to the store so far and the bytes they fetched. */
    ReadCounts counts();
}
