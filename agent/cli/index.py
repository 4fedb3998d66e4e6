"""`chemagent index add|search|stats|demo`: build and query the literature index."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agent.cli.common import ConfigOpt, err, fail, out

if TYPE_CHECKING:
    from tools.literature.index import IngestReport, LiteratureIndex

index_app = typer.Typer(
    help="Index your papers (PDF, text, JSONL) and search them.", no_args_is_help=True
)

IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="Index folder; default <home>/literature.")
]


def _open(index_dir: Path | None, config: Path | None, must_exist: bool) -> LiteratureIndex:
    from agent.settings import ConfigFileError, get_settings
    from tools.literature.index import LiteratureIndex

    try:
        settings = get_settings(config_file=config)
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    folder = index_dir or settings.literature_dir
    if must_exist and not (folder / "index.sqlite").is_file():
        fail(f"no literature index at {folder}; create one with `chemagent index add PATH...`")
    from tools.literature.store import CorruptIndex

    try:
        return LiteratureIndex(folder, settings.literature)
    except CorruptIndex as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot use the index folder {folder}: {exc}")


def _ingest(
    index: LiteratureIndex,
    paths: list[Path],
    fields: Any,
    on_commit: Callable[[], None] | None = None,
) -> IngestReport:
    from tools.base import ToolError
    from tools.literature.store import IndexMismatch

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[docs]} documents, {task.fields[chunks]} chunks"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("files", total=None, docs=0, chunks=0)
        counts = {"docs": 0, "chunks": 0}

        def progress(event: str, n: int) -> None:
            if event == "files":
                bar.update(task, total=n)
            elif event == "file":
                bar.advance(task, n)
            else:
                counts["docs" if event == "documents" else "chunks"] += n
                bar.update(task, docs=counts["docs"], chunks=counts["chunks"])
                if event == "documents" and on_commit is not None:
                    on_commit()

        try:
            return index.add(paths, fields, progress)
        except (ToolError, IndexMismatch) as exc:
            fail(str(exc))


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    out.print(
        f"added {report.documents_added} documents ({report.chunks_added} chunks), "
        f"replaced {len(report.replaced)}, unchanged {report.unchanged}, "
        f"duplicates {len(report.duplicates)}, skipped {len(report.skipped)} "
        f"in {report.seconds:.1f} s"
    )
    for d in report.duplicates[:20]:
        out.print(f"  duplicate: {escape(d.doc_id)} = {escape(d.same_as)}")
    for s in report.skipped[:50]:
        out.print(f"  [yellow]skipped[/] {escape(s.source)}: {escape(s.reason)}")
    if len(report.skipped) > 50:
        out.print(f"  ... and {len(report.skipped) - 50} more skipped (see --json)")


@index_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    index_dir: IndexOpt = None,
    id_field: Annotated[
        str | None, typer.Option("--id-field", help="JSONL field with the document id.")
    ] = None,
    title_field: Annotated[
        str | None, typer.Option("--title-field", help="JSONL field with the title.")
    ] = None,
    text_field: Annotated[
        str | None, typer.Option("--text-field", help="JSONL field with the text.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the ingest report as JSON.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Add PDFs, .txt/.md files and JSONL records; unchanged files are skipped on a rerun."""
    from tools.literature.documents import JsonlFields

    with _open(index_dir, config, must_exist=False) as index:
        s = index.settings
        fields = JsonlFields(
            id=id_field or s.jsonl_id,
            title=title_field or s.jsonl_title,
            text=text_field or s.jsonl_text,
        )
        report = _ingest(index, paths, fields)
    _print_report(report, as_json)
    if report.skipped and not (report.documents_added or report.unchanged or report.replaced):
        raise typer.Exit(1)


@index_app.command("search")
def search(
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=1000, help="Passages per query.")] = 5,
    mode: Annotated[str, typer.Option("--mode", help="dense, lexical or hybrid.")] = "hybrid",
    queries: Annotated[
        Path | None,
        typer.Option("--queries", help="File with one query per line; one JSON line each."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    index_dir: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The best passages for a query, with document id, title, page and offsets."""
    from tools.base import ToolError
    from tools.literature.index import MODES

    if mode not in MODES:
        fail(f"unknown --mode {mode!r}; use one of {', '.join(MODES)}")
    if (query is None) == (queries is None):
        fail("give a QUERY or --queries FILE (not both)")
    texts = [query] if query is not None else _read_queries(queries)
    fields = ("doc_id", "title", "page", "start", "end", "text", "score")
    with _open(index_dir, config, must_exist=True) as index:
        try:
            results = index.search_many(texts, k, mode)
        except ToolError as exc:
            fail(str(exc))
    if queries is not None or as_json:
        for hits in results:
            rows = [h.model_dump(include=set(fields)) for h in hits]
            if queries is not None:
                sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    from tools.literature.quoting import place

    for n, h in enumerate(results[0], start=1):
        out.print(
            f"[bold][{n}][/] {escape(h.title)} [dim]({escape(place(h.doc_id, h.page))}, "
            f"chars {h.start}-{h.end}, score {h.score:.4g})[/]"
        )
        snippet = " ".join(h.text.split())
        out.print(f"    {escape(snippet[:400])}{'…' if len(snippet) > 400 else ''}")
    if not results[0]:
        out.print("no passage matches")


def _read_queries(path: Path | None) -> list[str]:
    assert path is not None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read --queries {path}: {exc}")
    texts = [ln.strip() for ln in lines if ln.strip()]
    if not texts:
        fail(f"--queries {path} has no queries")
    return texts


@index_app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    index_dir: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Documents, chunks, embedding model and size of the index."""
    with _open(index_dir, config, must_exist=True) as index:
        st = index.stats()
    if as_json:
        sys.stdout.write(st.model_dump_json(indent=2) + "\n")
        return
    table = Table(show_header=False, box=None)
    for key, value in st.model_dump().items():
        table.add_row(key.replace("_", " "), escape(str(value)))
    out.print(table)


def default_demo_data() -> Path:
    """The shared literature data beside a source checkout (agent/cli/ -> the checkout's
    parent folder)."""
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "literature"


def demo_sources(root: Path) -> list[Path]:
    return [root / "bc5cdr" / "bc5cdr_docs.jsonl", root / "chemrxivquest" / "full-text"]


def expected_documents(sources: list[Path]) -> int:
    """How many documents the demo corpus holds (JSONL lines, files), counted without reading
    the documents."""
    n = 0
    for p in sources:
        if p.is_file():
            n += sum(1 for line in p.read_bytes().splitlines() if line.strip())
        elif p.is_dir():
            n += sum(1 for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
    return n


@index_app.command("demo")
def demo(
    data: Annotated[
        Path | None, typer.Option("--data", help="Folder with bc5cdr/ and chemrxivquest/.")
    ] = None,
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Build in a separate process and return at once (make run); a literature "
            "question meanwhile says how far it is. Resumes an interrupted build.",
        ),
    ] = False,
    index_dir: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Index the demo corpus (1,500 PubMed abstracts + 153 ChemRxiv papers) once; cached after."""
    from tools.literature.build import in_progress, write_status
    from tools.literature.documents import JsonlFields

    root = data or default_demo_data()
    sources = demo_sources(root)
    if not all(p.exists() for p in sources):
        err.print(
            f"[yellow]demo corpus not found under {escape(str(root))}[/]; skipping the demo "
            "index (give --data, or index your own papers with `chemagent index add`)"
        )
        return
    expected = expected_documents(sources)
    if background:
        _start_background(root, index_dir, config, expected)
        return
    with _open(index_dir, config, must_exist=False) as index:
        if (running := in_progress(index.dir)) is not None:
            fail(f"the demo index is being built by process {running.pid}; wait for it")
        docs, _ = index.store.counts()
        if docs == 0:
            err.print("building the demo literature index (once; about 12 minutes on 2 cores)")
        write_status(index.dir, docs, expected)
        report = _ingest(
            index,
            sources,
            JsonlFields(id="pmid", title="title", text="abstract"),
            on_commit=lambda: write_status(index.dir, index.store.counts()[0], expected),
        )
        st = index.stats()
        write_status(index.dir, st.documents, expected, done=True)
    out.print(
        f"literature     {st.documents} documents, {st.chunks} chunks in {st.path} "
        f"(+{report.documents_added} now)"
    )


def _start_background(
    root: Path, index_dir: Path | None, config: Path | None, expected: int
) -> None:
    """Start (or find) the background build and say so; the build itself is `index demo`."""
    import os
    import subprocess

    from agent.settings import ConfigFileError, get_settings
    from tools.literature.build import in_progress, read_status

    try:
        folder = index_dir or get_settings(config_file=config).literature_dir
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    status = read_status(folder)
    if status is not None and status.state == "done" and status.documents >= expected:
        out.print(f"literature     demo index ready ({status.documents} documents in {folder})")
        return
    if (running := in_progress(folder)) is not None:
        out.print(
            f"literature     demo index building in the background: {running.documents} of "
            f"{expected} documents (process {running.pid})"
        )
        return
    folder.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "agent", "index", "demo", "--data", str(root)]
    args += ["--index", str(folder)]
    if config is not None:
        args += ["--config", str(config)]
    with (folder / "build.log").open("ab") as log:
        subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives the chat that started it; Ctrl-C there leaves it
            env={**os.environ, "COLUMNS": "120"},
        )
    done = status.documents if status is not None else 0
    out.print(
        f"literature     building the demo index in the background ({done} of {expected} "
        f"documents so far; log {folder / 'build.log'}); literature questions meanwhile say "
        "how far it is"
    )
