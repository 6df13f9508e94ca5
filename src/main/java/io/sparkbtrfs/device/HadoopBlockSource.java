package io.sparkbtrfs.device;

import java.io.EOFException;
import java.io.IOException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/** A device snapshot stored as a file on any Hadoop {@link FileSystem} (hdfs://, s3a://, file:, ...). */
public final class HadoopBlockSource implements BlockSource {
    private final String name;
    private final FSDataInputStream in;
    private final long size;

    public HadoopBlockSource(String uri, Configuration conf) throws IOException {
        this.name = uri;
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(conf);
        if (fs instanceof LocalFileSystem local) {
            fs = local.getRawFileSystem(); // no .crc side files to look for
        }
        this.size = fs.getFileStatus(path).getLen();
        this.in = fs.open(path);
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
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
