#!/usr/bin/env python3
"""PyTAK's codec rates on one core, on the corpora of benches/codec.rs, in the same table.

    python bench/pytak_codec.py [SECONDS]     # seconds per measurement (default 1)

PyTAK has no CoT model of its own: it parses and writes CoT with xml.etree.ElementTree
(pytak.functions, pytak's CLI) and converts to and from TAK protocol v1 with takproto
(TXWorker: takproto.xml2proto; RXWorker: takproto.parse_proto). So:
  xml-parse     ET.fromstring(bytes)                       (what pytak's receiver does)
  xml-write     ET.tostring(element)                       (pytak.functions.serialize_cot)
  xml-split     splitting a stream of >= 1 MB on b"</event>" (pytak's StreamReader.readuntil)
  proto-encode  takproto.xml2proto(xml, STREAM)            (pytak's TX path: XML in, frame out)
  proto-decode  takproto.parse_proto(frame)                (pytak's RX path: a protobuf object)
  proto-to-cot  _takmsg2xml(takproto.parse_proto(frame))   (pytak's WebSocket RX path: CoT XML)
  proto-split   reading stream frames (0xbf, varint, skip payload) with takproto's varint reader
Each runs over its corpus repeatedly for the given CPU time after a warm-up; events and MB
(of the encoded form: XML, or framed TAK protocol) per second of the thread's CPU time.
"""
import asyncio
import io
import pathlib
import sys
import time
import xml.etree.ElementTree as ET

import takproto
from pytak.classes import _takmsg2xml
from takproto import delimited_protobuf as dpb

ROOT = pathlib.Path(__file__).resolve().parent.parent


def corpora():
    files = sorted((ROOT / "tests/corpus/xml").glob("*.xml"))
    read = lambda paths: [p.read_bytes().strip() for p in paths]
    return [
        ("pli", read([p for p in files if "pli" in p.name])),
        ("mixed", read(files)),
        ("shape400", read([ROOT / "bench/corpus/shape_polygon_400.xml"])),
    ]


def measure(seconds, f):
    """Passes of f per second of this thread's CPU time (as benches/codec.rs measures: the
    clock is read once per batch of passes that takes about a millisecond)."""
    end = time.perf_counter() + seconds / 5
    batch = 1
    while time.perf_counter() < end:
        t = time.perf_counter()
        for _ in range(batch):
            f()
        if time.perf_counter() - t < 0.001:
            batch *= 2
    start = time.thread_time()
    rounds = 0
    while rounds == 0 or time.thread_time() - start < seconds:
        for _ in range(batch):
            f()
        rounds += batch
    return rounds / max(time.thread_time() - start, 1e-9)


def row(corpus, op, passes, events, nbytes):
    print(f"{corpus:<10} {op:<16} {passes * events:>12.0f} {passes * nbytes / 1e6:>10.1f}", flush=True)


def split_xml(stream):
    """pytak's stream reader: readuntil(b"</event>") over 64 KiB reads."""
    async def run():
        reader = asyncio.StreamReader(limit=1 << 20)
        for i in range(0, len(stream), 65536):
            reader.feed_data(stream[i:i + 65536])
        reader.feed_eof()
        n = 0
        while True:
            try:
                await reader.readuntil(b"</event>")
                n += 1
            except asyncio.IncompleteReadError:
                return n
    return asyncio.run(run())


def split_proto(stream):
    bio = io.BytesIO(stream)
    n = 0
    while bio.read(1) == b"\xbf":
        length = dpb._read_varint(bio)
        bio.seek(length, 1)
        n += 1
    return n


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print(f"{'corpus':<10} {'operation':<16} {'events/s':>12} {'MB/s':>10}")
    for name, texts in corpora():
        n, xml_bytes = len(texts), sum(map(len, texts))
        trees = [ET.fromstring(t) for t in texts]
        row(name, "xml-write", measure(seconds, lambda: [ET.tostring(e) for e in trees]), n, xml_bytes)
        row(name, "xml-parse", measure(seconds, lambda: [ET.fromstring(t) for t in texts]), n, xml_bytes)
        # Streams of at least 1 MB: the corpus repeated.
        reps = max(1, 1_000_000 // xml_bytes)
        stream = b"".join(t + b"\n" for t in texts) * reps
        assert split_xml(stream) == n * reps
        row(name, "xml-split", measure(seconds, lambda: split_xml(stream)), n * reps, len(stream))
        frames = [bytes(takproto.xml2proto(t, takproto.TAKProtoVer.STREAM)) for t in texts]
        proto_bytes = sum(map(len, frames))
        row(name, "proto-encode",
            measure(seconds, lambda: [takproto.xml2proto(t, takproto.TAKProtoVer.STREAM) for t in texts]),
            n, proto_bytes)
        row(name, "proto-decode", measure(seconds, lambda: [takproto.parse_proto(f) for f in frames]),
            n, proto_bytes)
        row(name, "proto-to-cot",
            measure(seconds, lambda: [_takmsg2xml(takproto.parse_proto(f)) for f in frames]),
            n, proto_bytes)
        pstream = b"".join(frames) * reps
        assert split_proto(pstream) == n * reps
        row(name, "proto-split", measure(seconds, lambda: split_proto(pstream)), n * reps, len(pstream))


main()
