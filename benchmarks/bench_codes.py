"""Minting and verification throughput, against the raw primitives measured in the same run.

Usage::

    PYTHONPATH=src python benchmarks/bench_codes.py [--n 1000000] [--signed-n 40000]
                                                   [--repeat 5] [--workers 2]

Every figure is the MEDIAN of ``--repeat`` runs (these machines are noisy) and is printed
beside the raw rate of the primitive underneath it, with the ratio:

- compact minting (serials only, and end to end: full Digital Link URIs written to a
  file through ``veriseal.catalog.minting``) vs one bulk AES-128-ECB call over as many blocks;
- compact verification in bulk (``open_compact_array``, one core) vs the same AES rate,
  and the scalar per-code path (what one HTTP request uses), reported as is;
- signed minting with 1 and N worker processes vs PyNaCl's raw Ed25519 signing loop;
- signed verification (offline, from full URIs) vs PyNaCl's raw verify loop.

The throughput targets the code formats were designed for (each a share of the raw
crypto rate in the same run) are checked at the end (``TARGET met`` / ``TARGET missed``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from veriseal.catalog.minting import CodeFormat, Minter, write_codes
from veriseal.codes import signed
from veriseal.codes.compact import mint_compact, open_compact, open_compact_array
from veriseal.codes.layout import parse_serial
from veriseal.codes.material import KeyMaterial
from veriseal.models import Batch, BatchStatus, Brand, Profile
from veriseal.scanning.verification import parse_input, verify_offline

NOW = dt.datetime.now(dt.UTC)
BRAND = Brand(1, "acme", "Acme", "id.acme.example", NOW)


def batch(profile: Profile, size: int) -> Batch:
    return Batch(
        1,
        1,
        "09506000134352",
        "L2401-A",
        0,
        7,
        profile,
        0,
        size,
        dt.date(2026, 1, 1),
        dt.date(2027, 6, 30),
        "F1",
        "L1",
        BatchStatus.ACTIVE,
        b"",
        b"",
        NOW,
    )


def median_rate(n: int, fn: Callable[[], object], repeat: int) -> float:
    """Items per second: ``n`` divided by the median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def paired_rates(
    n: int, fn: Callable[[], object], base: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Rates of ``fn`` and of its baseline, measured alternately (A, B, A, B, ...) so that
    the machine's drift during the run hits both alike; medians of ``repeat`` each."""
    a, b = [], []
    for _ in range(repeat):
        for f, out in ((fn, a), (base, b)):
            start = time.perf_counter()
            f()
            out.append(time.perf_counter() - start)
    return n / statistics.median(a), n / statistics.median(b)


def row(name: str, rate: float, base_name: str, base: float) -> None:
    ratio = rate / base
    print(f"  {name:<44} {rate:>14,.0f}/s   {base_name:<26} {base:>14,.0f}/s   ratio {ratio:6.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--signed-n", type=int, default=40_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    n, sn, rep = args.n, args.signed_n, args.repeat
    key = KeyMaterial("acme.0", 0, os.urandom(32))
    verdicts: list[tuple[str, bool]] = []
    print(f"cores {os.cpu_count()}, n={n:,}, signed n={sn:,}, medians of {rep} runs\n")

    # -- raw primitives -------------------------------------------------------------
    blocks = os.urandom(16 * n)
    ecb = Cipher(algorithms.AES(os.urandom(16)), modes.ECB()).encryptor()
    aes = median_rate(n, lambda: ecb.update(blocks), rep)
    msg = b"veriseal/signed/v1\x1d09506000134352\x1dL2401-A\x1dS00000E00000\x1dacme.0\x1d270630"
    sk = key.signing_key
    raw_sign = median_rate(sn, lambda: [sk.sign(msg) for _ in range(sn)], rep)
    sig = sk.sign(msg).signature
    vk = sk.verify_key
    raw_verify = median_rate(sn, lambda: [vk.verify(msg, sig) for _ in range(sn)], rep)
    print("raw primitives")
    print(f"  AES-128-ECB, one bulk call                   {aes:>14,.0f} blocks/s")
    print(f"  Ed25519 sign (PyNaCl, one core)              {raw_sign:>14,.0f}/s")
    print(f"  Ed25519 verify (PyNaCl, one core)            {raw_verify:>14,.0f}/s\n")

    # -- compact ----------------------------------------------------------------------
    idx = np.arange(n, dtype=np.uint64)
    print("compact profile")
    serials_rate = median_rate(n, lambda: mint_compact(key, 7, idx), rep)
    row("mint serials (numpy, 2 AES calls)", serials_rate, "AES blocks", aes)
    compact = batch(Profile.COMPACT, n)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "codes.txt")

        def to_file() -> None:
            with open(path, "wb") as out, Minter(BRAND, compact, key) as minter:
                write_codes(minter, CodeFormat.URI, out, start=0, stop=n)

        e2e = median_rate(n, to_file, rep)
        size = os.path.getsize(path)
    row("mint end to end: URIs to a file", e2e, "AES blocks", aes)
    print(f"    ({size / n:.0f} bytes per URI line, {size * e2e / n / 1e6:,.0f} MB/s written)")
    verdicts.append(("compact minting end to end >= 2,000,000 codes/s", e2e >= 2_000_000))
    minted = mint_compact(key, 7, idx)
    bulk = median_rate(n, lambda: open_compact_array(key, minted), rep)
    row("verify in bulk (one core)", bulk, "AES blocks", aes)
    verdicts.append(("compact verification >= 200,000 codes/s on one core", bulk >= 200_000))
    sample = [minted[i].tobytes().decode() for i in range(min(n, 50_000))]

    def scalar() -> None:
        for s in sample:
            open_compact(key, parse_serial(s)[1])

    scalar_rate = median_rate(len(sample), scalar, rep)
    row("verify one by one (parse + 2 AES calls)", scalar_rate, "AES blocks", aes)
    print()

    # -- signed -----------------------------------------------------------------------
    print("signed profile")
    signed_batch = batch(Profile.SIGNED, sn)
    for workers in sorted({1, args.workers}):

        def mint_signed(w: int = workers) -> None:
            with Minter(BRAND, signed_batch, key, workers=w) as minter:
                minter.chunk(0, sn)

        def raw_signing() -> None:
            for _ in range(sn):
                sk.sign(msg)

        rate, one_core = paired_rates(sn, mint_signed, raw_signing, rep)
        row(f"mint, {workers} worker(s)", rate, f"raw sign x {workers} core(s)", one_core * workers)
        verdicts.append(
            (
                f"signed minting, {workers} worker(s) >= 80% of raw x{workers}",
                rate >= 0.8 * one_core * workers,
            )
        )
    with Minter(BRAND, signed_batch, key) as minter:
        uris_arr = minter.chunk(0, sn).uris
    width = uris_arr.shape[1]
    raw_uris = uris_arr.tobytes().decode()
    uris = [raw_uris[i * width : (i + 1) * width] for i in range(sn)]
    keys = {key.kid: key.public}
    ok = verify_offline(uris[0], keys)
    assert ok.genuine, ok
    msgs = [
        (signed.message(lk.gtin, lk.lot or "", ser, key.kid, lk.expiry), signed.decode_signature(s))
        for lk, ser, s in ((p.link, p.serial, p.signature) for p in map(parse_input, uris))
        if lk is not None and s is not None
    ]
    offline, raw_verify = paired_rates(
        sn,
        lambda: [verify_offline(u, keys) for u in uris],
        lambda: [vk.verify(m, s) for m, s in msgs],
        rep,
    )
    row("verify offline from URIs (parse + check)", offline, "raw verify (same run)", raw_verify)
    verdicts.append(("signed verification >= 80% of raw verify", offline >= 0.8 * raw_verify))

    print()
    for name, met in verdicts:
        print(f"TARGET {'met   ' if met else 'missed'} {name}")


if __name__ == "__main__":
    main()
