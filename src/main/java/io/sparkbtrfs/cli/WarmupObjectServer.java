package io.sparkbtrfs.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * For {@link Warmup} only: one file served on 127.0.0.1 as the object {@code s3a://warmup/fs.img} of a path-style S3
 * endpoint, just enough of the protocol for S3A to stat it and read ranges of it (HEAD, ranged GET), so that a
 * training run loads the classes of a dump from object storage without a store. Never used by a real run.
 */
final class WarmupObjectServer implements AutoCloseable {
    private static final String BUCKET = "warmup";
    private static final String KEY = "fs.img";
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    /** Longest body served: S3A asks for ranges of at most 8 MiB here (merged reads); a whole-file GET gets this. */
    private static final int MAX_RESPONSE = 32 << 20;
    private static final String ETAG = "\"0123456789abcdef0123456789abcdef\"";

    private final HttpServer server;
    private final FileChannel file;

    private WarmupObjectServer(HttpServer server, FileChannel file) {
        this.server = server;
        this.file = file;
    }

    static WarmupObjectServer serve(Path path) throws IOException {
        FileChannel file = FileChannel.open(path, StandardOpenOption.READ);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        WarmupObjectServer s = new WarmupObjectServer(server, file);
        server.createContext("/", s::handle);
        server.start();
        return s;
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String uri() {
        return "s3a://" + BUCKET + "/" + KEY;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            long size = file.size();
            if (!x.getRequestURI().getPath().equals("/" + BUCKET + "/" + KEY)) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            x.getResponseHeaders().add("ETag", ETAG);
            x.getResponseHeaders().add("Last-Modified", "Sun, 06 Dec 2026 00:00:00 GMT");
            x.getResponseHeaders().add("Content-Type", "application/octet-stream");
            x.getResponseHeaders().add("Accept-Ranges", "bytes");
            if (x.getRequestMethod().equals("HEAD")) {
                x.getResponseHeaders().add("Content-Length", Long.toString(size));
                x.sendResponseHeaders(200, -1);
                return;
            }
            if (!x.getRequestMethod().equals("GET")) {
                x.sendResponseHeaders(405, -1);
                return;
            }
            long start = 0;
            long end = size - 1;
            String range = x.getRequestHeaders().getFirst("Range");
            Matcher m = range == null ? null : RANGE.matcher(range);
            if (m != null && m.matches()) {
                start = Long.parseLong(m.group(1));
                end = m.group(2).isEmpty() ? end : Math.min(end, Long.parseLong(m.group(2)));
                x.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + end + "/" + size);
            }
            int length = (int) Math.max(0, Math.min(end - start + 1, MAX_RESPONSE));
            x.sendResponseHeaders(m != null && m.matches() ? 206 : 200, length == 0 ? -1 : length);
            ByteBuffer buf = ByteBuffer.allocate(length);
            while (buf.hasRemaining() && file.read(buf, start + buf.position()) > 0) {
                // fills buf
            }
            try (OutputStream out = x.getResponseBody()) {
                out.write(buf.array(), 0, buf.position());
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.stop(0);
        file.close();
    }
}
