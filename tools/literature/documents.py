"""Reading papers into documents: PDF (page by page), plain text / Markdown, and JSONL records.

A file that cannot be read (corrupt, encrypted, empty, not UTF-8) becomes a `Skipped` with the
reason instead of an exception, so one bad file never stops an ingest of thousands.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
PDF_SUFFIXES = frozenset({".pdf"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
SUPPORTED = TEXT_SUFFIXES | PDF_SUFFIXES | JSONL_SUFFIXES
PAGE_BREAK = "\n\n"


@dataclass(frozen=True)
class PageSpan:
    """Where one page lies in the document text; `number` is 1-based, None for unpaged text."""

    number: int | None
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One paper or record: its id, title, whole text and page layout."""

    doc_id: str
    title: str
    text: str
    pages: tuple[PageSpan, ...]
    source: str

    @cached_property
    def sha256(self) -> str:
        """Content hash: the same text under another id or path is the same document."""
        return hashlib.sha256(" ".join(self.text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A file or record that was not ingested, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class JsonlFields:
    """Which JSONL fields hold the id, title and text."""

    id: str = "id"
    title: str = "title"
    text: str = "text"


@dataclass
class Discovered:
    """The files under the given paths, each with the id base its documents are named from."""

    files: list[tuple[Path, Path]] = field(default_factory=list)  # (file, base folder)
    skipped: list[Skipped] = field(default_factory=list)


def discover(paths: list[Path]) -> Discovered:
    """Files to read, recursively; ids are paths relative to the folder the user named."""
    found = Discovered()
    for path in paths:
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file()):
                if f.name.startswith("."):
                    continue
                if f.suffix.lower() in SUPPORTED:
                    found.files.append((f, path))
                else:
                    found.skipped.append(Skipped(str(f), f"unsupported file type {f.suffix!r}"))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED:
                found.files.append((path, path.parent))
            else:
                found.skipped.append(
                    Skipped(
                        str(path),
                        f"unsupported file type {path.suffix!r}; give .pdf, .txt, .md or .jsonl",
                    )
                )
        else:
            found.skipped.append(Skipped(str(path), "no such file or folder"))
    return found


class Unreadable(Exception):
    """A file's content cannot be turned into text; the message is the reason shown."""


def read_file(path: Path, base: Path, fields: JsonlFields) -> Iterator[Document | Skipped]:
    """The documents in one file (one, or one per JSONL line), or why they were skipped."""
    doc_id = path.relative_to(base).as_posix()
    suffix = path.suffix.lower()
    try:
        if suffix in JSONL_SUFFIXES:
            yield from _read_jsonl(path, fields)
        elif suffix in PDF_SUFFIXES:
            yield _read_pdf(path, doc_id)
        else:
            yield _read_text(path, doc_id)
    except Unreadable as exc:
        yield Skipped(str(path), str(exc))
    except OSError as exc:
        yield Skipped(str(path), f"cannot read the file: {exc.strerror or exc}")


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(
            f"{what} is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from None


def _title_of(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:300]
    return fallback


def _read_text(path: Path, doc_id: str) -> Document:
    text = _decode(path.read_bytes(), "the file")
    if not text.strip():
        raise Unreadable("empty file (no text)")
    return Document(
        doc_id=doc_id,
        title=_title_of(text, path.stem),
        text=text,
        pages=(PageSpan(None, 0, len(text)),),
        source=str(path),
    )


def _read_pdf(path: Path, doc_id: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not _unlock(reader):
            raise Unreadable("encrypted PDF (needs a password); save an unencrypted copy")
        texts = [_clean_page(page.extract_text() or "") for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise Unreadable(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    if not texts:
        raise Unreadable("PDF has no pages")
    if not any(t.strip() for t in texts):
        raise Unreadable("PDF has no extractable text (a scan?); run OCR on it first")
    pages: list[PageSpan] = []
    parts: list[str] = []
    pos = 0
    for number, t in enumerate(texts, start=1):
        if parts:
            parts.append(PAGE_BREAK)
            pos += len(PAGE_BREAK)
        parts.append(t)
        pages.append(PageSpan(number, pos, pos + len(t)))
        pos += len(t)
    text = "".join(parts)
    title = str(meta_title).strip() if meta_title and str(meta_title).strip() else ""
    return Document(
        doc_id=doc_id,
        title=title or _title_of(text, path.stem),
        text=text,
        pages=tuple(pages),
        source=str(path),
    )


def _unlock(reader: object) -> bool:
    """Many PDFs are encrypted with an empty user password and open without one."""
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # pypdf raises several types, incl. missing crypto backends
        return False


_SPACES = re.compile(r"[ \t\u00a0]+")


def _clean_page(text: str) -> str:
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


def _read_jsonl(path: Path, fields: JsonlFields) -> Iterator[Document | Skipped]:
    raw = path.read_bytes()
    text = _decode(raw, "the file")
    seen_any = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen_any = True
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(where, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            yield Skipped(where, "a JSONL line must be an object")
            continue
        doc_id, body = record.get(fields.id), record.get(fields.text)
        if doc_id is None or str(doc_id).strip() == "":
            yield Skipped(where, f"no id field {fields.id!r} (set the JSONL id field)")
            continue
        if not isinstance(body, str) or not body.strip():
            yield Skipped(where, f"no text in field {fields.text!r} (set the JSONL text field)")
            continue
        title = record.get(fields.title)
        title = str(title).strip() if title else ""
        # The title is part of what is searched: abstracts are short and titles carry the topic.
        full = f"{title}\n\n{body}" if title and not body.startswith(title) else body
        yield Document(
            doc_id=str(doc_id),
            title=title or _title_of(body, str(doc_id)),
            text=full,
            pages=(PageSpan(None, 0, len(full)),),
            source=where,
        )
    if not seen_any:
        yield Skipped(str(path), "empty file (no records)")
