"""Print the length of each profile's Digital Link URI and the QR version it needs.

Usage: PYTHONPATH=src python benchmarks/uri_sizes.py [--host id.acme.example] [--lot L2401]

Byte-mode QR at error correction level M (segno chooses the smallest version); also
the DataMatrix size for the GS1 element string. Every URI of a batch has the same length,
so the printer can fix the symbol version per batch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os

import numpy as np
import segno

from veriseal.codes import digital_link, signed
from veriseal.codes.compact import mint_compact
from veriseal.codes.material import KeyMaterial
from veriseal.codes.signed import mint_signed_serials


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="id.acme.example")
    ap.add_argument("--lot", default="L2401-A")
    args = ap.parse_args()
    key = KeyMaterial("acme.0", 0, os.urandom(32))
    gtin, expiry = "09506000134352", dt.date(2027, 6, 30)
    idx = np.arange(1, dtype=np.uint64)
    compact = mint_compact(key, 0, idx).tobytes().decode()
    clear = mint_signed_serials(0, 0, idx).tobytes().decode()
    sig = signed.sign(key, signed.message(gtin, args.lot, clear, key.kid, expiry))
    rows = [
        ("compact", digital_link.build_uri(args.host, gtin, args.lot, compact)),
        (
            "compact + expiry",
            digital_link.build_uri(args.host, gtin, args.lot, compact, expiry=expiry),
        ),
        (
            "signed + expiry",
            digital_link.build_uri(
                args.host,
                gtin,
                args.lot,
                clear,
                expiry=expiry,
                extra=[(signed.SIGNATURE_PARAM, sig)],
            ),
        ),
    ]
    print(f"host {args.host!r}, lot {args.lot!r}")
    print(f"{'profile':<18} {'chars':>5}  {'QR (M)':>7}  {'QR (L)':>7}  uri")
    for name, uri in rows:
        m = segno.make_qr(uri, error="m", boost_error=False)
        low = segno.make_qr(uri, error="l", boost_error=False)
        print(f"{name:<18} {len(uri):>5}  {m.version:>7}  {low.version:>7}  {uri}")


if __name__ == "__main__":
    main()
