"""1,000 PubChem look-ups against the replay server with 10% of answers 503 ServerBusy.

Prints, for our client: unhandled errors (anything but a definite "not found"), the highest
number of requests the server saw in any 1 s window (PubChem allows 5), wall time, and a
second run's cache hit rate. The baseline, measured in the same run on the first 200 look-ups,
is pubchempy on its own (`get_properties`, same server, same fault rate, same 4 threads).

Run: `python benchmarks/pubchem_batch.py [--data ../shared/data/pubchem] [--n 1000]`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.pubchem import (  # noqa: E402
    PubChemClient,
    PubChemError,
    PubChemNotFound,
    PubChemSettings,
)
from tools.pubchem.ratelimit import RateLimiter  # noqa: E402
from tools.pubchem.replay import ReplayServer  # noqa: E402

WORKERS = 4
BUSY = 0.10


def identifiers(srv: ReplayServer, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Distinct (namespace, identifier) pairs: every recorded key, then unknown names."""
    keys = sorted(srv.catalogue.keys)
    rng = random.Random(seed)
    rng.shuffle(keys)
    out = [(ns, ident) for ns, ident in keys if ns in ("name", "cid", "inchikey")][:n]
    unknown = n - len(out)
    out += [("name", f"unlisted compound {i}") for i in range(unknown)]
    rng.shuffle(out)
    return out


def run_ours(srv: ReplayServer, ids: list[tuple[str, str]], cache: Path) -> dict[str, float]:
    settings = PubChemSettings(api_base=srv.api_base, backoff_s=0.2, max_retries=6)
    client = PubChemClient(settings, cache, limiter=RateLimiter(5, 400))
    found = missing = errors = 0
    start = time.perf_counter()

    def one(item: tuple[str, str]) -> str:
        ns, ident = item
        try:
            client.lookup(ident, ns)  # type: ignore[arg-type]
            return "found"
        except PubChemNotFound:
            return "missing"
        except PubChemError as exc:
            print(f"  error: {ident}: {exc}")
            return "error"

    with ThreadPoolExecutor(WORKERS) as pool:
        for i, result in enumerate(pool.map(one, ids), start=1):
            found += result == "found"
            missing += result == "missing"
            errors += result == "error"
            if i % 200 == 0:
                print(f"  {i}/{len(ids)} look-ups, {time.perf_counter() - start:.0f} s")
    stats = client.stats
    client.close()
    return {
        "found": found,
        "missing": missing,
        "errors": errors,
        "seconds": time.perf_counter() - start,
        "requests": stats.requests,
        "retries": stats.retries,
        "hit_rate": stats.hit_rate,
    }


def run_pubchempy(srv: ReplayServer, ids: list[tuple[str, str]]) -> dict[str, float]:
    import pubchempy

    pubchempy.API_BASE = srv.api_base + "/pug"
    errors = 0
    start = time.perf_counter()

    def one(item: tuple[str, str]) -> int:
        ns, ident = item
        try:
            pubchempy.get_properties(["MolecularFormula", "SMILES"], ident, ns)
            return 0
        except pubchempy.NotFoundError:
            return 0
        except Exception:
            return 1

    with ThreadPoolExecutor(WORKERS) as pool:
        errors = sum(pool.map(one, ids))
    return {"errors": errors, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "pubchem")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--baseline-n", type=int, default=200)
    args = parser.parse_args()

    with ReplayServer(args.data) as srv, tempfile.TemporaryDirectory() as tmp:
        ids = identifiers(srv, args.n)
        print(f"{len(ids)} distinct look-ups, {BUSY:.0%} of answers 503, {WORKERS} threads")

        srv.reset()
        srv.set_busy_rate(BUSY, seed=1)
        base = run_pubchempy(srv, ids[: args.baseline_n])
        base_rate = srv.max_rate(1.0)

        srv.reset()
        srv.set_busy_rate(BUSY, seed=2)
        first = run_ours(srv, ids, Path(tmp) / "pubchem.sqlite")
        busy = sum(h.status == 503 for h in srv.hits)
        ours_rate = srv.max_rate(1.0)

        srv.reset()
        srv.set_busy_rate(BUSY, seed=3)
        second = run_ours(srv, ids, Path(tmp) / "pubchem.sqlite")

    n_base = min(args.baseline_n, len(ids))
    print()
    print(
        f"pubchempy alone, first {n_base}: {base['errors']} unhandled errors "
        f"({base['errors'] / n_base:.1%}), max {base_rate} requests in 1 s, "
        f"{base['seconds']:.1f} s"
    )
    print(
        f"ours, {len(ids)} look-ups:   {first['errors']} unhandled errors, "
        f"{first['found']} found, {first['missing']} not found, "
        f"{first['requests']} requests ({busy} answered 503, {first['retries']} retries), "
        f"max {ours_rate} requests in 1 s, {first['seconds']:.1f} s"
    )
    print(
        f"ours, second run:         cache hit rate {second['hit_rate']:.1%}, "
        f"{second['requests']} requests, {second['seconds']:.2f} s"
    )
    ratio = (base["errors"] / n_base) / max(first["errors"] / len(ids), 1 / len(ids))
    print(
        f"ratio: unhandled-error rate pubchempy / ours >= {ratio:.0f}x; "
        f"second run {first['seconds'] / max(second['seconds'], 1e-9):.0f}x faster than the first"
    )
    ok = first["errors"] == 0 and ours_rate <= 5 and second["hit_rate"] >= 0.95
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
