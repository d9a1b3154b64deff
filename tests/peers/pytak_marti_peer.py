"""pytak's own Marti REST client (MartiTXWorker / MartiRXWorker), for interop tests.

    COT_URL=marti+http://127.0.0.1:8080 MARTI_POLL_INTERVAL=1 python pytak_marti_peer.py SECONDS

Every pytak configuration key is taken from the environment. Each line on stdin is one CoT
XML event for pytak to post; each event pytak's poller received is printed on stdout as one
line. The script runs for SECONDS seconds, then exits.
"""

import asyncio
import configparser
import os
import sys

import pytak


async def main(seconds):
    parser = configparser.ConfigParser(interpolation=None)
    parser["peer"] = {k: v for k, v in os.environ.items() if k.isupper()}
    config = parser["peer"]
    tx_queue, rx_queue = asyncio.Queue(), asyncio.Queue()
    for line in sys.stdin.read().splitlines():
        if line.strip():
            await tx_queue.put(line.strip().encode())
    tx = await pytak.marti_txworker_factory(tx_queue, config)
    rx = await pytak.marti_rxworker_factory(rx_queue, config)

    async def printer():
        while True:
            data = await rx_queue.get()
            print(data.decode(errors="replace").replace("\n", " "), flush=True)

    tasks = [asyncio.create_task(t) for t in (tx.run(), rx.run(), printer())]
    await asyncio.sleep(seconds)
    for t in tasks:
        t.cancel()
    await tx.close()
    await rx.close()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
