#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 in front of an HTTP server (S3Proxy), for scripts/bench: counts the requests by
method and the bytes sent back, and holds each request DELAY_MS before passing it on, as the round trip to a
distant object store would.

    request-proxy.py LISTEN_PORT_FILE TARGET_PORT DELAY_MS COUNTS_FILE

Listens on a free port, written to LISTEN_PORT_FILE; rewrites COUNTS_FILE ("GET n HEAD n ... bytes n") after
every request and response; SIGUSR1 zeroes the counts. Request bodies are skipped by their Content-Length (reads
send none)."""
import asyncio
import collections
import signal
import sys

port_file, target_port, delay_ms, counts_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
counts = collections.Counter()


def save():
    with open(counts_file + ".tmp", "w") as f:
        f.write(" ".join("%s %d" % kv for kv in sorted(counts.items())) + "\n")
    import os
    os.replace(counts_file + ".tmp", counts_file)


def reset(*_):
    counts.clear()
    save()


async def requests(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            method = head.split(b" ", 1)[0].decode("latin-1")
            counts[method] += 1
            body = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    body = int(line[15:].strip())
            if delay_ms > 0:
                await asyncio.sleep(delay_ms / 1000)
            writer.write(head)
            while body > 0:
                chunk = await reader.read(min(body, 1 << 16))
                if not chunk:
                    return
                writer.write(chunk)
                body -= len(chunk)
            await writer.drain()
            save()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def responses(reader, writer):
    try:
        while True:
            chunk = await reader.read(1 << 16)
            if not chunk:
                break
            counts["bytes"] += len(chunk)
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
        save()


async def client(creader, cwriter):
    ureader, uwriter = await asyncio.open_connection("127.0.0.1", target_port)
    await asyncio.gather(requests(creader, uwriter), responses(ureader, cwriter))


async def main():
    server = await asyncio.start_server(client, "127.0.0.1", 0)
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, reset)
    reset()
    with open(port_file, "w") as f:
        f.write("%d\n" % server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


asyncio.run(main())
