"""The outside world the workers talk to during the benchmark, in one light process.

An SMTP server that accepts every message and an HTTP server that answers 200 to every
webhook POST, both on loopback and both asyncio, so they take little of the CPU the
stack under test needs. They count what they received (`GET /counts` on the HTTP port)
so the benchmark can check that messages and webhooks really left.

    python -m bench.sink --smtp-port 2525 --http-port 8025
"""

import argparse
import asyncio
import json
import signal

COUNTS = {"emails": 0, "webhooks": 0}


async def smtp_session(reader, writer):
    # Just enough of RFC 5321 for smtplib: greet, accept every command, swallow DATA.
    writer.write(b"220 bench-sink ESMTP\r\n")
    await writer.drain()
    in_data = False
    try:
        while line := await reader.readline():
            if in_data:
                if line in (b".\r\n", b".\n"):
                    in_data = False
                    COUNTS["emails"] += 1
                    writer.write(b"250 2.0.0 queued\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                in_data = True
                writer.write(b"354 end with .\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def http_session(reader, writer):
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                break
            length, keep_alive = 0, True
            while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "connection" and value.strip().lower() == "close":
                    keep_alive = False
            if length:
                await reader.readexactly(length)
            if request_line.startswith(b"GET /counts"):
                body = json.dumps(COUNTS).encode()
            else:
                COUNTS["webhooks"] += 1
                body = b'{"ok":true}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
            if not keep_alive:
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(smtp_port: int, http_port: int) -> None:
    smtp = await asyncio.start_server(smtp_session, "127.0.0.1", smtp_port, backlog=512)
    http = await asyncio.start_server(http_session, "127.0.0.1", http_port, backlog=512)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"sink ready: smtp {smtp_port}, http {http_port}", flush=True)
    async with smtp, http:
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.smtp_port, args.http_port))
