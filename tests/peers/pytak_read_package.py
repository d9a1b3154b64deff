"""Reads a TAK data package with PyTAK's own code and prints what PyTAK took from it.

    python pytak_read_package.py PACKAGE.zip

Runs `pytak.read_pref_package` (what `pytak.cli()` calls for `-p` / PREF_PACKAGE) and
prints one JSON object:

* `COT_URL`: the URL PyTAK built from connectString0;
* `cert_chain`: the certificates of the PEM file PyTAK made for PYTAK_TLS_CLIENT_CERT,
  as hex DER, leaf first;
* `ca`: the certificate of PYTAK_TLS_CLIENT_CAFILE as hex DER (or null);
* `key_matches`: whether the key of PYTAK_TLS_CLIENT_KEY belongs to the leaf.

PyTAK unpacks into the temporary directory; point TMPDIR at one the caller removes.
"""

import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import pytak


def der_hex(cert):
    return cert.public_bytes(serialization.Encoding.DER).hex()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    config = pytak.read_pref_package(sys.argv[1])
    with open(config["PYTAK_TLS_CLIENT_CERT"], "rb") as f:
        chain = x509.load_pem_x509_certificates(f.read())
    with open(config["PYTAK_TLS_CLIENT_KEY"], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    ca = None
    if config.get("PYTAK_TLS_CLIENT_CAFILE"):
        with open(config["PYTAK_TLS_CLIENT_CAFILE"], "rb") as f:
            ca = der_hex(x509.load_pem_x509_certificate(f.read()))
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    print(
        json.dumps(
            {
                "COT_URL": config["COT_URL"],
                "cert_chain": [der_hex(c) for c in chain],
                "ca": ca,
                "key_matches": key.public_key().public_bytes(*spki)
                == chain[0].public_key().public_bytes(*spki),
            }
        )
    )


if __name__ == "__main__":
    main()
