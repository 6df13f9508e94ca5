package io.sparkbtrfs.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP server (S3Proxy): counts the requests that pass by method and the
 * bytes the server sends back, and can hold every request for a fixed delay before passing it on, as the round
 * trip to a distant object store would. It reads request heads (and skips bodies by their Content-Length) to
 * find where each request starts; it does not understand chunked request bodies, which reads never send.
 */
public final class RequestProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final long delayMillis;
    private final ConcurrentHashMap<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final AtomicLong responseBytes = new AtomicLong();
    private final List<Socket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread acceptor;
    private volatile boolean closed;

    private RequestProxy(ServerSocket server, int targetPort, long delayMillis) {
        this.server = server;
        this.targetPort = targetPort;
        this.delayMillis = delayMillis;
        this.acceptor = new Thread(this::accept, "request-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Forwards to 127.0.0.1:{@code targetPort}, each request held {@code delayMillis} first. */
    public static RequestProxy start(int targetPort, long delayMillis) throws IOException {
        return new RequestProxy(new ServerSocket(0, 64, InetAddress.getLoopbackAddress()), targetPort, delayMillis);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    /** Requests of method {@code method} (GET, HEAD, ...) seen so far. */
    public long requests(String method) {
        LongAdder n = requests.get(method.toUpperCase(Locale.ROOT));
        return n == null ? 0 : n.sum();
    }

    /** Bytes the server sent back so far (headers included). */
    public long responseBytes() {
        return responseBytes.get();
    }

    public void reset() {
        requests.clear();
        responseBytes.set(0);
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                thread(() -> requests(client.getInputStream(), upstream.getOutputStream()), client, upstream);
                thread(() -> responses(upstream.getInputStream(), client.getOutputStream()), client, upstream);
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("RequestProxy: " + e);
                }
            }
        }
    }

    private interface Pump {
        void run() throws IOException;
    }

    private static void thread(Pump pump, Socket a, Socket b) {
        Thread t = new Thread(() -> {
            try {
                pump.run();
            } catch (IOException ignored) {
                // the other side went away
            } finally {
                closeQuietly(a);
                closeQuietly(b);
            }
        }, "request-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Passes requests on one by one: head (counted, delayed), then its body. */
    private void requests(InputStream in, OutputStream out) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0; // of "\r\n\r\n"
        byte[] buf = new byte[64 << 10];
        long body = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            int i = 0;
            while (i < n) {
                if (body > 0) {
                    int take = (int) Math.min(body, n - i);
                    out.write(buf, i, take);
                    body -= take;
                    i += take;
                    continue;
                }
                byte b = buf[i++];
                head.write(b);
                matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
                if (matched == 4) {
                    matched = 0;
                    body = request(head.toByteArray(), out);
                    head.reset();
                }
            }
            out.flush();
        }
    }

    /** Counts, delays and forwards one request head; returns the length of its body. */
    private long request(byte[] head, OutputStream out) throws IOException {
        String text = new String(head, StandardCharsets.ISO_8859_1);
        int space = text.indexOf(' ');
        requests.computeIfAbsent(space > 0 ? text.substring(0, space) : "?", k -> new LongAdder()).increment();
        long body = 0;
        for (String line : text.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                body = Long.parseLong(line.substring(15).strip());
            }
        }
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        out.write(head);
        return body;
    }

    private void responses(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[64 << 10];
        int n;
        while ((n = in.read(buf)) > 0) {
            responseBytes.addAndGet(n);
            out.write(buf, 0, n);
            out.flush();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        synchronized (sockets) {
            sockets.forEach(RequestProxy::closeQuietly);
        }
    }
}
