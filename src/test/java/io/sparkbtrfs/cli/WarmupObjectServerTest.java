package io.sparkbtrfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileRange;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object server of the class-data training run is S3 enough for the real S3A client: what a dump from s3a://
 * does (stat, positional and vectored reads) gets the file's bytes, so the training archives those code paths.
 */
class WarmupObjectServerTest {
    @Test
    void s3aReadsTheServedFile(@TempDir java.nio.file.Path dir) throws Exception {
        byte[] content = new byte[3 << 20];
        new Random(16).nextBytes(content);
        java.nio.file.Path file = Files.write(dir.resolve("fs.img"), content);
        try (WarmupObjectServer server = WarmupObjectServer.serve(file)) {
            Configuration conf = new Configuration();
            conf.set("fs.s3a.endpoint", server.endpoint());
            conf.set("fs.s3a.endpoint.region", "us-east-1");
            conf.set("fs.s3a.path.style.access", "true");
            conf.set("fs.s3a.connection.ssl.enabled", "false");
            conf.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
            conf.set("fs.s3a.access.key", "warmup");
            conf.set("fs.s3a.secret.key", "warmup");
            conf.setBoolean("fs.s3a.impl.disable.cache", true);
            Path path = new Path(server.uri());
            try (FileSystem fs = path.getFileSystem(conf)) {
                assertEquals(content.length, fs.getFileStatus(path).getLen());
                try (FSDataInputStream in = fs.open(path)) {
                    byte[] got = new byte[4096];
                    in.readFully(1_000_000, got);
                    assertArrayEquals(Arrays.copyOfRange(content, 1_000_000, 1_004_096), got);
                    List<FileRange> ranges = new ArrayList<>(List.of(FileRange.createFileRange(0, 16384),
                            FileRange.createFileRange(2 << 20, 65536), FileRange.createFileRange(content.length - 100, 100)));
                    in.readVectored(ranges, ByteBuffer::allocate);
                    for (FileRange r : ranges) {
                        ByteBuffer b = r.getData().get();
                        byte[] bytes = new byte[b.remaining()];
                        b.get(bytes);
                        assertArrayEquals(Arrays.copyOfRange(content, (int) r.getOffset(),
                                (int) r.getOffset() + r.getLength()), bytes, "range at " + r.getOffset());
                    }
                }
                assertEquals(false, fs.exists(new Path("s3a://warmup/other")), "other keys do not exist");
            }
        }
    }
}
