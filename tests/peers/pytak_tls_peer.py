"""A pytak client for interop tests: pytak's own TLS setup (`get_ssl_ctx`) and workers.

    PYTAK_TLS_CLIENT_CERT=... COT_URL=tls://127.0.0.1:8089 python pytak_tls_peer.py

Every pytak configuration key is taken from the environment. Each line on stdin is one CoT
XML event to send; each event received is printed on stdout as one line (newlines inside
it become spaces). pytak sends its hello (`takPing`) first, unless PYTAK_NO_HELLO is set.
The script ends when stdin closes.
"""

import asyncio
import configparser
import os
import sys

import pytak


class StdinSender(pytak.QueueWorker):
    """Queues each stdin line for pytak's TX worker."""

    async def handle_data(self, data):
        await self.put_queue(data)

    async def run(self, _=-1):
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                os._exit(0)  # stdin closed: the test is done with us
            line = line.strip()
            if line:
                await self.handle_data(line.encode())


class StdoutPrinter(pytak.QueueWorker):
    """Prints what pytak's RX worker received."""

    async def handle_data(self, data):
        text = data.decode(errors="replace").replace("\r", " ").replace("\n", " ").strip()
        print(text, flush=True)

    async def run(self, _=-1):
        while True:
            await self.handle_data(await self.queue.get())


async def main():
    parser = configparser.ConfigParser(interpolation=None)
    parser["peer"] = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(("PYTAK_", "COT_", "TAK_", "MAX_", "DEBUG", "FTS_"))
    }
    config = parser["peer"]
    tool = pytak.CLITool(config)
    await tool.setup()
    tool.add_tasks(
        {StdinSender(tool.tx_queue, config), StdoutPrinter(tool.rx_queue, config)}
    )
    print("PEER-READY", flush=True)
    await tool.run()


if __name__ == "__main__":
    asyncio.run(main())
