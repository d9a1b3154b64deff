#!/usr/bin/env python3
"""A PyTAK receiver for TAK protocol v1 (TAK_PROTO=1), for bench/compare.sh.

    TAK_PROTO=1 python bench/pytak_rx.py COT_URL

pytak 7.6.1's command (`python -m pytak`) cannot print what it receives with TAK_PROTO=1: its
RXWorker hands takproto TakMessage objects to a printer that expects bytes. This script runs
pytak's own CLITool and RXWorker (which decode with takproto.parse_proto) and prints each
received event as one line of XML with pytak's own converter (pytak.classes._takmsg2xml), as
takwire's command does.

Over TCP, pytak's RXWorker splits the stream on b"</event>" even with TAK_PROTO=1, so it never
finds a TAK protocol frame; here its readcot reads stream frames instead (0xbf, varint length,
payload), then decodes with takproto.parse_proto as pytak does. Over UDP pytak is unchanged.
"""
import asyncio
import configparser
import os
import sys

import pytak
import takproto
from pytak.classes import _takmsg2xml


async def read_stream_frame(self):
    """RXWorker.readcot for TCP: one TAK protocol stream frame, decoded by takproto."""
    reader = self.reader
    if not hasattr(reader, "readexactly"):
        return await ORIGINAL_READCOT(self)
    try:
        while (await reader.readexactly(1)) != b"\xbf":
            pass  # XML or garbage between frames is skipped
        header = b"\xbf"
        while True:
            b = await reader.readexactly(1)
            header += b
            if not b[0] & 0x80:
                break
        length, shift = 0, 0
        for b in header[1:]:
            length |= (b & 0x7F) << shift
            shift += 7
        payload = await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        return None
    return takproto.parse_proto(header + payload)


ORIGINAL_READCOT = pytak.RXWorker.readcot


class Printer(pytak.QueueWorker):
    """Writes each received event to stdout as one line of XML."""

    async def handle_data(self, data) -> None:
        if not isinstance(data, (bytes, bytearray)):
            data = _takmsg2xml(data)
        if data:
            sys.stdout.buffer.write(bytes(data).strip() + b"\n")
            sys.stdout.buffer.flush()

    async def run(self, _=-1) -> None:
        while True:
            await self.handle_data(await self.queue.get())


async def main(url: str) -> None:
    if url.lower().startswith("tcp"):
        pytak.RXWorker.readcot = read_stream_frame
    parser = configparser.RawConfigParser()
    parser.add_section("pytak")
    for k, v in os.environ.items():
        if "%" not in v:
            parser.set("pytak", k, v)
    parser.set("pytak", "COT_URL", url)
    config = parser["pytak"]
    tool = pytak.CLITool(config)
    await tool.setup()
    tool.add_tasks({Printer(tool.rx_queue, config)})
    await tool.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
