"""PyTAK 7.6.1's own enrollment, run against takwire's test TAK Server (tests/enroll_pytak.rs).

    pytak_enroll.py resolve TAK_URL PORT   -> pytak.client_functions.resolve_tak_url(TAK_URL)
                                              (cache in $HOME/.pytak/certs), result as JSON
    pytak_enroll.py dp TAK_URL PORT OUTDIR -> pytak.onboarding_packages.enroll_onboarding_package,
                                              result as JSON

PyTAK always enrolls on port 8446 (crypto_classes.CertificateEnrollment hard-codes it); the
test server listens on a free loopback PORT, so requests to :8446 are redirected to PORT.
Nothing else in PyTAK is changed.
"""

import asyncio
import json
import sys

import aiohttp
import yarl

import pytak.client_functions
import pytak.onboarding_packages

PORT = int(sys.argv[3])
_orig_request = aiohttp.ClientSession._request


async def _request(self, method, url, *args, **kwargs):
    u = yarl.URL(str(url))
    if u.port == 8446:
        u = u.with_port(PORT)
    return await _orig_request(self, method, u, *args, **kwargs)


aiohttp.ClientSession._request = _request


async def main():
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "resolve":
        result = await pytak.client_functions.resolve_tak_url(url)
    elif mode == "dp":
        result = await pytak.onboarding_packages.enroll_onboarding_package(url, sys.argv[4])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


asyncio.run(main())
