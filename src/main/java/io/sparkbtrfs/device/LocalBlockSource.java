package io.sparkbtrfs.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.LongAdder;

/** A regular file or block device read through a {@link FileChannel} (positional reads, thread-safe). */
public final class LocalBlockSource implements BlockSource {
    private final String name;
    private final FileChannel channel;
    private final LongAdder requests = new LongAdder();
    private final LongAdder bytes = new LongAdder();

    public LocalBlockSource(String name, Path path) throws IOException {
        this.name = name;
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public int read(long position, byte[] buf, int off, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        int total = 0;
        while (bb.hasRemaining()) {
            int n = channel.read(bb, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        requests.increment();
        bytes.add(total);
        return total;
    }

    @Override
    public ReadCounts counts() {
        return new ReadCounts(requests.sum(), bytes.sum());
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
