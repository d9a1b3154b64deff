"""Sets up a throw-away taky TAK server site for the TLS interop test (tests/tls_taky.rs).

    python taky_site.py DIR PORT NAME [NAME ...]     (NAME or itak:NAME)

* `takyctl setup` creates DIR (which must not exist yet) with taky's own CA and server
  certificate for the host name `taky.test`;
* taky.conf is then pinned to loopback: bind 127.0.0.1, COT port PORT, no monitor port, no
  redis (everything in memory);
* `takyctl build_client NAME` makes one client data package per NAME, as DIR/NAME.zip: a
  legacy (3DES) PKCS#12 client certificate, the server truststore .p12 and a .pref file,
  in ATAK's layout (MANIFEST/manifest.xml, certs/); a NAME written `itak:NAME` gets
  `--is_itak`, iTAK's flat layout.

Prints `key=value` lines: conf, ca_pem, hostname, and package.NAME for each package.
Start the server afterwards with `python -m taky.cot -c DIR/taky.conf`.
"""

import configparser
import os
import subprocess
import sys

HOSTNAME = "taky.test"


def takyctl(args, cwd):
    subprocess.run(
        [sys.executable, "-m", "taky.cli", *args],
        cwd=cwd,
        check=True,
        stdout=sys.stderr,  # keep stdout for the JSON answer
        timeout=120,
    )


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    site, port, names = os.path.abspath(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    parent = os.path.dirname(site)
    takyctl(
        ["setup", "--host", HOSTNAME, "--public-ip", "127.0.0.1", "--bind-ip", "127.0.0.1", site],
        cwd=parent,
    )
    conf_path = os.path.join(site, "taky.conf")
    conf = configparser.ConfigParser(allow_no_value=True)
    conf.read(conf_path)
    conf.set("taky", "bind_ip", "127.0.0.1")
    conf.set("taky", "redis", None)
    conf.set("cot_server", "port", str(port))
    conf.set("cot_server", "mon_ip", None)
    with open(conf_path, "w", encoding="utf8") as f:
        conf.write(f)
    packages = {}
    for name in names:
        itak = name.startswith("itak:")
        name = name.removeprefix("itak:")
        takyctl(
            ["-c", conf_path, "build_client", name] + (["--is_itak"] if itak else []),
            cwd=site,
        )
        packages[name] = os.path.join(site, f"{name}.zip")
    print(f"conf={conf_path}")
    print(f"ca_pem={os.path.join(site, 'ssl', 'ca.crt')}")
    print(f"hostname={HOSTNAME}")
    for name, path in packages.items():
        print(f"package.{name}={path}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
