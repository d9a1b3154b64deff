"""A PyTAK application run through `pytak.cli()`, PyTAK's own command-line entry point.

    python pytak_cli_app.py -p PACKAGE.zip

`pytak.cli` reads the data package (`-p`, PREF_PACKAGE) itself and connects where the
package says with the certificates it holds. This app's only task sends one CoT event,
uid `pytak-cli-package`, once connected, then idles until it is killed.
"""

import asyncio

import pytak

EVENT = (
    b'<event version="2.0" type="a-f-G-U-C" uid="pytak-cli-package" how="m-g" '
    b'time="{t}" start="{t}" stale="{s}"><point lat="1.25" lon="2.5" hae="0" ce="9999999" '
    b'le="9999999"/><detail/></event>\n'
)


class SendOnce(pytak.QueueWorker):
    """Queues one event for PyTAK's TX worker, then idles."""

    async def handle_data(self, data):
        await self.put_queue(data)

    async def run(self, _=-1):
        now, stale = pytak.cot_time(), pytak.cot_time(300)
        await self.handle_data(
            EVENT.replace(b"{t}", now.encode()).replace(b"{s}", stale.encode())
        )
        while True:
            await asyncio.sleep(3600)


def create_tasks(config, clitool):
    """The tasks `pytak.cli` runs for this app."""
    return {SendOnce(clitool.tx_queue, config)}


if __name__ == "__main__":
    pytak.cli("pytak_cli_app")
