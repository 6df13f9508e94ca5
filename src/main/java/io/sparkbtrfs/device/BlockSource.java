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
}
