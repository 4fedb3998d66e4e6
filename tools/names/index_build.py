"""Building the offline name index: one SQLite file from the three sources, written atomically.

The file is written under a temporary name in the same folder and moved into place with
`os.replace`, so a reader sees the old file or the finished new one, never half of one; a build
that dies leaves only its temporary file, which the next build removes. The schema version and
the sources' versions are recorded in `meta`: an index built from anything else is rebuilt.

Tables: `records` (one compound as a source gives it), `names` (every name, CAS number and
synonym -> records, with how the name belongs to the record), `spot` (the names that may be
spotted in running text, see `spotting`), and for misspellings `vocab` (the names a misspelling
may be corrected to) with `deletes` (their deletion neighbourhoods, see `spelling`).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.names import spelling
from tools.names.sources import (
    Kind,
    Source,
    SourceRecord,
    chemicals_folder,
    chemicals_records,
    drug_dictionary_records,
    drugcentral_file,
    drugcentral_records,
)
from tools.names.spotting import Trust, element_names, english_zipf, plain_molecule, spottable

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
BUILDING_SUFFIX = ".building"

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    id INTEGER PRIMARY KEY, source INTEGER NOT NULL, ref TEXT NOT NULL, name TEXT NOT NULL,
    smiles TEXT, cas TEXT, cid INTEGER, formula TEXT
);
CREATE TABLE names (
    key TEXT NOT NULL, record INTEGER NOT NULL, kind INTEGER NOT NULL,
    PRIMARY KEY (key, record)
) WITHOUT ROWID;
CREATE TABLE spot (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE vocab (id INTEGER PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE deletes (
    h INTEGER NOT NULL, vocab INTEGER NOT NULL, PRIMARY KEY (h, vocab)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote, and how long it took."""

    path: Path
    records: int
    names: int
    spotted: int
    correctable: int
    seconds: float


def all_records() -> Iterator[SourceRecord]:
    """Every source that is installed, best-ranked first."""
    dc = drugcentral_file()
    if dc.is_file():
        yield from drugcentral_records(dc)
    else:
        log.warning("DrugCentral names file %s is missing", dc)
    folder = chemicals_folder()
    if folder is not None:
        yield from chemicals_records(folder)
    else:
        log.warning("the chemicals package is not installed: no PubChem-derived names offline")
    yield from drug_dictionary_records()


def _trust(source: Source, kind: Kind) -> Trust | None:
    if kind in (Kind.CAS, Kind.CAS_SYNONYM):
        return None
    if kind is Kind.NAME and source in (Source.DRUGCENTRAL, Source.DRUG_DICTIONARY):
        return Trust.DRUG_NAME
    return Trust.SYNONYM if kind is Kind.SYNONYM else Trust.NAME


def build(
    path: Path, versions: dict[str, str], records: Iterable[SourceRecord] | None = None
) -> BuildReport:
    """Write the index to `path` atomically (temporary file in the same folder, then replace)."""
    start = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=BUILDING_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        con = sqlite3.connect(tmp)
        try:
            counts = _fill(con, all_records() if records is None else records)
            seconds = time.perf_counter() - start
            meta = {
                "schema_version": str(SCHEMA_VERSION),
                "sources": json.dumps(versions, sort_keys=True),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": f"{seconds:.1f}",
                **{k: str(v) for k, v in counts.items()},
            }
            con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            con.commit()
        finally:
            con.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    report = BuildReport(path, seconds=time.perf_counter() - start, **counts)
    log.info(
        "offline name index built in %.1f s: %d records, %d names -> %s",
        report.seconds, report.records, report.names, path,
    )  # fmt: skip
    return report


def _fill(con: sqlite3.Connection, records: Iterable[SourceRecord]) -> dict[str, int]:
    """Write every table; returns the counts `BuildReport` holds."""
    con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _DDL)
    names: list[tuple[str, int, int]] = []
    trust: dict[str, Trust] = {}
    vocab: set[str] = set()
    rows = []
    for rid, rec in enumerate(records, start=1):
        rows.append(
            (rid, int(rec.source), rec.ref, rec.name, rec.smiles, rec.cas, rec.cid, rec.formula)
        )
        for key, kind in rec.names.items():
            names.append((key, rid, int(kind)))
            plain = rec.smiles is not None and plain_molecule(rec.smiles)
            level = _trust(rec.source, kind) if plain else None
            if level is not None and (key not in trust or level < trust[key]):
                trust[key] = level
            if rec.smiles and kind in (Kind.NAME, Kind.DRUG_SYNONYM) and spelling.correctable(key):
                vocab.add(key)
    con.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    names.sort()
    con.executemany("INSERT INTO names VALUES (?, ?, ?)", names)
    zipf, elements = english_zipf(), element_names()
    spot = sorted(k for k, level in trust.items() if spottable(k, level, zipf, elements))
    con.executemany("INSERT INTO spot VALUES (?)", ((k,) for k in spot))
    words = sorted(vocab)
    con.executemany("INSERT INTO vocab VALUES (?, ?)", enumerate(words, start=1))
    deletes = sorted(
        (h, i)
        for i, key in enumerate(words, start=1)
        for h in spelling.hashes(spelling.deletions(key, spelling.allowance(key)))
    )
    con.executemany("INSERT INTO deletes VALUES (?, ?)", deletes)
    return {
        "records": len(rows),
        "names": len(names),
        "spotted": len(spot),
        "correctable": len(words),
    }


def remove_stale(path: Path) -> None:
    """Delete temporary files of builds that died (call only while holding the build lock)."""
    for stale in path.parent.glob(path.name + ".*" + BUILDING_SUFFIX):
        log.info("removing %s, left by a build that did not finish", stale)
        stale.unlink(missing_ok=True)
