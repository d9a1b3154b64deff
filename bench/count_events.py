#!/usr/bin/env python3
"""Counts CoT events on stdin (occurrences of </event>) and exits once N have arrived,
printing the time of the last one (time.time()). Reads in large chunks so it can keep up
with any sender. Usage: count_events.py N [IDLE_SECONDS]

With IDLE_SECONDS, also exits when no input came for that long (for UDP, where events may
be lost), printing the count and the time of the last event."""
import os, select, sys, time

def main():
    want = int(sys.argv[1])
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else None
    fd = sys.stdin.fileno()
    count, tail, first, last = 0, b"", None, None
    while count < want:
        if idle is not None:
            ready, _, _ = select.select([fd], [], [], idle)
            if not ready:
                break
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        data = tail + chunk
        count += data.count(b"</event>")
        tail = data[-7:]
        now = time.time()
        if first is None:
            first = now
        last = now
    print(f"{count} {first or 0:.6f} {last or 0:.6f}", flush=True)

main()
