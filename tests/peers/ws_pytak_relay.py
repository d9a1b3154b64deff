#!/usr/bin/env python3
"""A small WebSocket TAK endpoint (aiohttp) with PyTAK 7.6.1's own ws:// client on it, for
takwire's interop test. Listens on 127.0.0.1 only and exits within its time limit.

Like TAK Server's /takproto/1, the endpoint relays every binary message from one WebSocket
client to the others. Each message it relays is also parsed with takproto.parse_proto
(independent of takwire), so the test sees whether takwire's frames are what PyTAK's
stack expects.

Protocol on stdout (one line each):
  PORT <n>              the endpoint listens (path /takproto/1)
  PYTAK_CONNECTED       after the first other client (takwire) connected, PyTAK's
                        pytak.ws_factory() client connected too
  FRAME <uid> <type>    a relayed binary message parsed by takproto (uid and type of its
                        event; "-" when takproto could not parse it)
  PYTAK_RX <xml>        PyTAK's WSRXWorker received this event (as PyTAK decodes it)
  SENT                  PyTAK sent the event given on stdin

Input on stdin: one line of CoT XML, sent by PyTAK's WSTXWorker once it is connected.
The script ends when PyTAK received an event whose uid is argv[1], or after argv[2] seconds.
"""

import asyncio
import configparser
import sys

from aiohttp import WSMsgType, web
import pytak
import takproto


def say(*parts):
    print(*parts, flush=True)


async def main(wanted_uid: str, limit: float) -> None:
    clients = set()
    first_client = asyncio.Event()

    async def handler(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        clients.add(ws)
        first_client.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.BINARY:
                    continue
                parsed = takproto.parse_proto(bytearray(msg.data))
                if parsed and parsed != -1 and parsed.HasField("cotEvent"):
                    say("FRAME", parsed.cotEvent.uid, parsed.cotEvent.type)
                else:
                    say("FRAME", "-", "-")
                for other in list(clients):
                    if other is not ws and not other.closed:
                        await other.send_bytes(msg.data)
        finally:
            clients.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/takproto/1", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    say("PORT", port)

    await first_client.wait()
    parser = configparser.ConfigParser()
    parser["pytak"] = {"COT_URL": f"ws://127.0.0.1:{port}/takproto/1"}
    config = parser["pytak"]
    tx_queue, rx_queue = asyncio.Queue(), asyncio.Queue()
    tx, rx = await pytak.ws_factory(tx_queue, rx_queue, config)
    say("PYTAK_CONNECTED")

    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await tx.handle_data(line.strip().encode())
    say("SENT")

    while True:
        await rx.run_once()
        while not rx_queue.empty():
            data = rx_queue.get_nowait()
            text = data.decode(errors="replace").replace("\n", " ")
            say("PYTAK_RX", text)
            if f'uid="{wanted_uid}"' in text:
                await tx.close()
                await runner.cleanup()
                return


if __name__ == "__main__":
    uid, seconds = sys.argv[1], float(sys.argv[2])
    try:
        asyncio.run(asyncio.wait_for(main(uid, seconds), seconds))
    except asyncio.TimeoutError:
        say("TIMEOUT")
        sys.exit(1)
