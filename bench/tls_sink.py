"""An SMTP sink that offers STARTTLS (Postfix's smtp-sink has no TLS), for
bench/outbound_tls.sh: accepts every message and discards it, counting connections, TLS
handshakes and messages into STATS_FILE on SIGTERM. Prints its port when ready.

    python3 bench/tls_sink.py CERT KEY STATS_FILE
"""
import asyncio
import json
import signal
import ssl
import sys

cert, key, stats_file = sys.argv[1:4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
stats = {"connections": 0, "tls": 0, "messages": 0}


async def handle(r, w):
    stats["connections"] += 1
    secure = False
    w.write(b"220 sink ESMTP\r\n")
    try:
        while True:
            line = await r.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                w.write(b"250-sink\r\n250-8BITMIME\r\n" + (b"" if secure else b"250-STARTTLS\r\n") + b"250 SIZE 0\r\n")
            elif verb == b"STAR" and not secure:
                w.write(b"220 go ahead\r\n")
                await w.drain()
                await w.start_tls(ctx)
                secure = True
                stats["tls"] += 1
                continue
            elif verb == b"DATA":
                w.write(b"354 go ahead\r\n")
                await w.drain()
                await r.readuntil(b"\r\n.\r\n")
                stats["messages"] += 1
                w.write(b"250 ok\r\n")
            elif verb == b"QUIT":
                w.write(b"221 bye\r\n")
                await w.drain()
                break
            else:
                w.write(b"250 ok\r\n")
            await w.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    w.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 20)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    with open(stats_file, "w") as f:
        json.dump(stats, f)


asyncio.run(main())
