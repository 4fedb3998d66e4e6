"""Documents from corpus files, one at a time, so a corpus larger than memory streams through."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

csv.field_size_limit(sys.maxsize)  # ChemRxiv full texts and abstracts exceed the 128 KB default


def read_documents(path: Path, fields: list[str], limit: int | None = None) -> Iterator[str]:
    """Yield the documents of one source: a .txt file is one document; each JSONL/CSV/TSV row
    gives its `fields` joined by a newline (rows missing them are skipped); a folder is every
    .txt and .jsonl file in it, in name order."""
    if not path.exists():
        raise FileNotFoundError(f"corpus source {path} does not exist")
    files = (
        sorted(p for p in path.rglob("*") if p.suffix in {".txt", ".jsonl"})
        if path.is_dir()
        else [path]
    )
    n = 0
    for file in files:
        for doc in _file_documents(file, fields):
            if doc.strip():
                yield doc
                n += 1
                if limit is not None and n >= limit:
                    return


def _file_documents(file: Path, fields: list[str]) -> Iterator[str]:
    if file.suffix == ".jsonl":
        with file.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise ValueError(f"{file}:{i} is not JSON: {exc}") from exc
                parts = [str(row[f]) for f in fields if row.get(f)]
                if parts:
                    yield "\n".join(parts)
    elif file.suffix in {".csv", ".tsv"} or (file.suffix == ".txt" and _is_table(file, fields)):
        delimiter = "," if file.suffix == ".csv" else "\t"
        with file.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter=delimiter):
                parts = [row[f] for f in fields if row.get(f)]
                if parts:
                    yield "\n".join(parts)
    else:
        yield file.read_text(encoding="utf-8", errors="replace")


def _is_table(file: Path, fields: list[str]) -> bool:
    """A .txt whose first line is a tab-separated header naming the fields (ChEBI-20's files)."""
    with file.open(encoding="utf-8", errors="replace") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    return len(header) > 1 and all(f in header for f in fields)
