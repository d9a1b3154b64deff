#!/usr/bin/env python3
"""Writes CoT position reports to stdout at a fixed rate, for latency runs of bench/compare.sh.

    paced_events.py RATE SECONDS [DELAY]

DELAY (default 0) seconds pass before the first event, so that the sender has started and
connected and its start-up does not count as latency.

Each event's uid is `lat-SEQ-NS`, NS being time.time_ns() just before the event is written
(and flushed), so the receiving end (bench/latency.py) can tell how long it took to arrive.
Events are written on a schedule (event i at start + i/RATE), so a slow consumer does not
lower the offered rate; when the writer falls behind it catches up without sleeping."""
import datetime
import sys
import time


def main():
    rate, seconds = float(sys.argv[1]), float(sys.argv[2])
    time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 0)
    n = int(rate * seconds)
    now = datetime.datetime.now(datetime.timezone.utc)
    t = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    s = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    out = sys.stdout.buffer
    start = time.monotonic()
    for i in range(n):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        out.write(
            f'<event version="2.0" uid="lat-{i}-{time.time_ns()}" type="a-f-G-U-C" how="m-g" '
            f'time="{t}" start="{t}" stale="{s}"><point lat="59.0" lon="10.75" hae="12.0" '
            f'ce="5.0" le="9999999.0"/><detail><contact callsign="UNIT-{i}"/>'
            f'<__group name="Cyan" role="Team Member"/><track course="90.0" speed="1.5"/>'
            f"</detail></event>\n".encode()
        )
        out.flush()


try:
    main()
except BrokenPipeError:
    pass
