#!/usr/bin/env python3
"""How closely `takwire --tx-file --realtime` keeps a recording's timing.

Writes a recording of N events with random gaps (recorded `time` stamps), replays it with
`takwire --tx-file REC --realtime` to a TCP server on 127.0.0.1 that stamps each arrival,
and prints how late each event arrived relative to the first, compared with the recording
(lateness = arrival offset - recorded offset; never negative when replay is right).

    python3 tests/bench/realtime_replay.py [--takwire target/release/takwire] [-n 50] [--gap 0.1]

A benchmark, not a test: the numbers depend on the machine's load. The test suite checks
only that no event is early (tests/cli_replay.rs).
"""
import argparse
import datetime
import os
import random
import socket
import statistics
import subprocess
import tempfile
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--takwire", default="target/release/takwire")
    ap.add_argument("-n", type=int, default=50, help="events in the recording")
    ap.add_argument("--gap", type=float, default=0.1, help="mean gap between events, s")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    offsets, t = [], 0.0
    for _ in range(args.n):
        offsets.append(t)
        t += rng.expovariate(1.0 / args.gap)
    fd, rec = tempfile.mkstemp(suffix=".xml")
    with os.fdopen(fd, "w") as f:
        for i, off in enumerate(offsets):
            ts = (t0 + datetime.timedelta(seconds=off)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            stale = (t0 + datetime.timedelta(seconds=off + 60)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            f.write(f'<event version="2.0" uid="rt-{i}" type="a-f-G" how="m-g" time="{ts}" '
                    f'start="{ts}" stale="{stale}"><point lat="0" lon="0"/><detail/></event>\n')

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    arrivals = {}

    def serve():
        conn, _ = srv.accept()
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return
            now = time.monotonic()
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if b'uid="rt-' in line:
                    uid = line.split(b'uid="rt-', 1)[1].split(b'"', 1)[0]
                    arrivals[int(uid)] = now

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    env = {"PATH": os.environ.get("PATH", "")}
    subprocess.run([args.takwire, "--tx-file", rec, "--realtime", "--no-hello", "--tx-only",
                    f"tcp://127.0.0.1:{port}"], env=env, check=True, timeout=offsets[-1] + 60)
    th.join(timeout=10)
    os.unlink(rec)

    if len(arrivals) != args.n:
        raise SystemExit(f"only {len(arrivals)} of {args.n} events arrived")
    first = arrivals[0]
    late_ms = [((arrivals[i] - first) - offsets[i]) * 1000 for i in range(args.n)]
    print(f"{args.n} events over {offsets[-1]:.2f} s recorded; lateness vs. the recording:")
    print(f"  min {min(late_ms):.2f} ms  median {statistics.median(late_ms):.2f} ms  "
          f"mean {statistics.mean(late_ms):.2f} ms  max {max(late_ms):.2f} ms")
    early = [x for x in late_ms if x < -1.0]
    print(f"  events early by more than 1 ms: {len(early)}")


if __name__ == "__main__":
    main()
