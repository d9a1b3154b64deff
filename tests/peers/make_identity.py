"""Makes client identities with Python's `cryptography` (an independent PKCS#12 and PKCS#8
writer) for tests/tls.rs.

    python make_identity.py CA_CERT_PEM CA_KEY_PEM OUT_DIR PASSWORD

Creates an RSA-2048 key and a client certificate (CN python-client, clientAuth) signed by
the given CA, and writes to OUT_DIR:

* cert.pem         the certificate
* key_enc.pem      the key as encrypted PKCS#8 PEM (PBES2, AES-256-CBC), with PASSWORD
* legacy.p12       PKCS#12 as taky and TAK Server write it: 3DES (PBES1), SHA-1 MAC, CA inside
* aes.p12          PKCS#12 with PBES2 AES-256-CBC and a SHA-256 MAC, CA inside
"""

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    ca_cert_path, ca_key_path, out, password = sys.argv[1:]
    pw = password.encode()
    with open(ca_cert_path, "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    with open(ca_key_path, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "python-client")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    write("cert.pem", cert.public_bytes(serialization.Encoding.PEM))
    write(
        "key_enc.pem",
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(pw),
        ),
    )
    ca_bag = pkcs12.PKCS12Certificate(cert=ca_cert, friendly_name=b"CA")
    legacy = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .hmac_hash(hashes.SHA1())
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .build(pw)
    )
    modern = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .hmac_hash(hashes.SHA256())
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .build(pw)
    )
    for name, enc in (("legacy.p12", legacy), ("aes.p12", modern)):
        write(
            name,
            pkcs12.serialize_key_and_certificates(
                b"python-client", key, cert, [ca_bag], enc
            ),
        )


if __name__ == "__main__":
    main()
