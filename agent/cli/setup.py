"""`chemagent setup|resolve`: check the embedded defaults; names to structures."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli.common import ConfigOpt, HomeOpt, err, fail, out, overrides
from agent.cli.models import NO_LLM, NO_VLM, model_status


def _setup_names(settings: Any) -> None:
    """The offline name index (built here when missing, else on first use) and Orthonym
    (structure -> IUPAC name)."""
    from tools.base import ToolError
    from tools.chem.mol import canonical_smiles
    from tools.names.orthonym import iupac_name
    from tools.names.table import builtin_table

    names = builtin_table(settings.names.index_file)
    hit = names.lookup("fentanyl")
    info = names.index.info() if names.index is not None else {}
    if hit is not None and info:
        out.print(
            f"name index     ok ({int(info['records']):,} compounds; "
            f"fentanyl -> {canonical_smiles(hit.smiles)})"
        )
    else:
        why = names.index.unavailable if names.index is not None else None
        out.print(f"name index     [yellow]unavailable[/]: {escape(why or 'see the log')}")
    if not settings.names.orthonym:
        out.print("Orthonym       off (setting names.orthonym)")
        return
    try:
        out.print(f"Orthonym       ok (OC(=O)c1ccc(O)cc1 -> {iupac_name('OC(=O)c1ccc(O)cc1')})")
    except ToolError as exc:
        out.print(f"Orthonym       [yellow]unavailable[/]: {escape(str(exc))}")


def setup(config: ConfigOpt = None, home: HomeOpt = None) -> None:
    """Prepare the data folder and check the embedded defaults (RDKit, name table, safety list)."""
    from agent.safety import bundled_list
    from agent.settings import ConfigFileError, get_settings
    from tools.chem.mol import canonical_smiles
    from tools.names.table import builtin_table

    try:
        settings = get_settings(overrides(home, None, None), config_file=config)
    except ConfigFileError as exc:
        fail(str(exc))
    settings.home.mkdir(parents=True, exist_ok=True)
    hit = builtin_table().lookup("aspirin")
    assert hit is not None
    lst = bundled_list()
    out.print(f"data folder    {settings.home}")
    out.print(f"threads        {settings.checkpoint_db}")
    out.print(f"RDKit          ok (aspirin -> {canonical_smiles(hit.smiles)})")
    out.print(
        f"safety list    {len(lst.by_cas)} CAS numbers ({len(lst.cas_only)} matched by CAS only)"
    )
    from tools.names.opsin import Opsin, OpsinUnavailable

    n = settings.names
    try:
        parsed = Opsin(n.java, n.opsin_jar, n.opsin_timeout_s).parse(["2-acetyloxybenzoic acid"])
        out.print(f"OPSIN          ok (2-acetyloxybenzoic acid -> {parsed[0].smiles})")
    except OpsinUnavailable as exc:
        out.print(f"OPSIN          [yellow]unavailable[/]: {escape(str(exc))}")
    _setup_names(settings)
    pc = settings.pubchem
    mode = "offline mode (cache only)" if pc.offline else pc.api_base
    out.print(f"PubChem        {mode}; cache {settings.pubchem_cache}")
    from tools.base import ToolError
    from tools.vision.osra import osra_version

    try:
        out.print(f"OSRA           ok ({osra_version(settings.vision.osra)})")
    except ToolError as exc:
        out.print(f"OSRA           [yellow]unavailable[/]: {escape(str(exc))}")
    out.print(f"LLM            {escape(model_status(settings.llm, NO_LLM))}")
    out.print(f"VLM            {escape(model_status(settings.vlm, NO_VLM))}")


def resolve(
    names: Annotated[
        list[str] | None, typer.Argument(help="Names, synonyms or CAS numbers to resolve.")
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Also resolve every line of this file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use only the table, caches and OPSIN.")
    ] = False,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Names -> structures: built-in table and cache, then OPSIN, then PubChem (exit 1 if any fail)."""

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from agent.deps import name_resolver
    from agent.settings import ConfigFileError, get_settings
    from tools.names.table import Resolution

    queries = list(names or [])
    if from_file is not None:
        try:
            text = from_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {from_file}: {exc}")
        queries += [line.strip() for line in text.splitlines() if line.strip()]
    if not queries:
        fail("give at least one name, e.g. chemagent resolve aspirin '2-acetyloxybenzoic acid'")
    flags = overrides(home, None, None)
    if offline:
        flags["pubchem"] = {"offline": True}
    try:
        settings = get_settings(flags, config_file=config)
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    resolver = name_resolver(settings)
    columns = (
        TextColumn("resolving"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
    )
    try:
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("names", total=len(queries), last="")
            outcomes = resolver.resolve_many(
                queries, progress=lambda q, _o: bar.update(task, advance=1, last=q[:40])
            )
    finally:
        resolver.close()
    rows: list[dict[str, Any]] = [
        {"query": o.query, "ok": True, **o.reported()}
        if isinstance(o, Resolution)
        else {"query": o.query, "ok": False, "kind": o.kind, "error": o.error}
        for o in outcomes
    ]
    failed = sum(not r["ok"] for r in rows)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        table = Table("name", "SMILES", "source", "note")
        for r in rows:
            if r["ok"]:
                table.add_row(
                    escape(r["query"]), r["smiles"], escape(r["source"]), escape(r["name"])
                )
            else:
                table.add_row(escape(r["query"]), "—", "[red]failed[/]", escape(r["error"]))
        out.print(table)
    if failed:
        err.print(f"{failed} of {len(rows)} names not resolved")
        raise typer.Exit(1)
