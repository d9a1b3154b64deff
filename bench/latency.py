#!/usr/bin/env python3
"""Reads received CoT on stdin and measures each event's latency from the `lat-SEQ-NS` uid
that bench/paced_events.py gave it (NS: when it was written to the sender).

    latency.py N IDLE_SECONDS

Stops after N events or IDLE_SECONDS without input; prints
`COUNT MEDIAN_MS P99_MS MAX_MS` (latencies in milliseconds, on the receiving side's clock,
the same machine's). Events arriving in one read share its arrival time."""
import os
import re
import select
import sys
import time

UID = re.compile(rb'uid="lat-(\d+)-(\d+)"')


def main():
    want, idle = int(sys.argv[1]), float(sys.argv[2])
    fd = sys.stdin.fileno()
    seen, lat, tail = set(), [], b""
    while len(seen) < want:
        ready, _, _ = select.select([fd], [], [], idle)
        if not ready:
            break
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        now = time.time_ns()
        data = tail + chunk
        cut = data.rfind(b"\n") + 1
        data, tail = data[:cut], data[cut:]
        for m in UID.finditer(data):
            seq = int(m.group(1))
            if seq not in seen:
                seen.add(seq)
                lat.append((now - int(m.group(2))) / 1e6)
    lat.sort()
    if not lat:
        print("0 0 0 0")
        return
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"{len(lat)} {pick(0.5):.3f} {pick(0.99):.3f} {lat[-1]:.3f}", flush=True)


main()
