"""`chemagent`: ask, chat, batch and setup. Thin: parses, calls `Assistant`, renders."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli_common import ConfigOpt, err, fail, out
from agent.cli_eval import eval_command
from agent.cli_models import NO_LLM, NO_VLM, model_app, model_status, serve

app = typer.Typer(
    name="chemagent",
    help="A research assistant for chemists: RDKit tools, safety screen and cited answers, offline.",
    no_args_is_help=True,
    add_completion=False,
)

HomeOpt = Annotated[Path | None, typer.Option("--home", help="Data folder (threads, images).")]
StepsOpt = Annotated[int | None, typer.Option("--max-steps", help="Most plan -> act rounds.")]
BudgetOpt = Annotated[float | None, typer.Option("--time-budget", help="Seconds per question.")]


def _overrides(home: Path | None, max_steps: int | None, budget: float | None) -> dict[str, Any]:
    agent: dict[str, Any] = {}
    if max_steps is not None:
        agent["max_steps"] = max_steps
    if budget is not None:
        agent["time_budget_s"] = budget
    flags: dict[str, Any] = {"agent": agent} if agent else {}
    if home is not None:
        flags["home"] = home
    return flags


def _assistant(config: Path | None, flags: dict[str, Any]) -> Any:
    from agent.api import Assistant
    from agent.settings import ConfigFileError, get_settings
    from models.errors import ModelError
    from tools.base import ToolError

    try:
        settings = get_settings(flags, config_file=config)
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    try:
        return Assistant(settings)
    except (ValueError, ModelError, ToolError) as exc:  # no model, bad preset, safety list...
        fail(str(exc))
    except sqlite3.DatabaseError as exc:
        fail(
            f"the conversation store {settings.checkpoint_db} is damaged ({exc}); move it away "
            "(earlier threads are lost, new ones work) or set --home to another folder"
        )
    except (OSError, sqlite3.Error) as exc:
        fail(f"cannot use the data folder {settings.home}: {exc}; set --home or CHEMAGENT_HOME")


def render(answer: Any) -> None:
    """Print an answer for people: text, the tool trace, warnings."""
    style = "bold red" if answer.refused else "bold"
    out.print(escape(answer.text), style=style if answer.refused else None)
    if answer.steps:
        table = Table(title="steps", show_lines=False, title_justify="left")
        for col in ("#", "tool", "ok", "s", "result"):
            table.add_column(col)
        for i, s in enumerate(answer.steps, start=1):
            table.add_row(
                str(i), s.tool, "✓" if s.ok else "✗", f"{s.seconds:.3f}", escape(s.summary)
            )
        out.print(table)
    for note in answer.notes:
        out.print(f"[dim]note: {escape(note)}[/]")
    if line := usage_line(answer.usage):
        out.print(f"[dim]{escape(line)}[/]")
    out.print(f"[dim]thread {answer.thread_id}[/]")


def usage_line(usage: dict[str, int]) -> str:
    """What the language model did for this answer, in one line ('' when it was not asked)."""
    calls = usage.get("model_calls", 0)
    if not calls and not usage.get("plans_by_model"):
        return ""
    parts = [f"{calls} model call(s)"]
    if n := usage.get("plans_by_model"):
        parts.append(f"{n} plan(s) by the model")
    for key, what in (
        ("plan_repairs", "plan(s) sent back"),
        ("plan_fallbacks", "fell back to the rules"),
        ("calls_added", "call(s) added by the question analysis"),
        ("calls_dropped", "call(s) dropped"),
    ):
        if n := usage.get(key):
            parts.append(f"{n} {what}" if key != "plan_fallbacks" else what)
    if usage.get("writer_accepted"):
        parts.append("answer written by the model")
    elif usage.get("writer_rejected"):
        parts.append("model's answer rejected (see warnings)")
    return "model: " + ", ".join(parts)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the Answer object as JSON.")
    ] = False,
    image: Annotated[
        list[Path] | None, typer.Option("--image", help="Image of a structure.")
    ] = None,
    thread: Annotated[
        str | None, typer.Option("--thread", help="Continue this conversation.")
    ] = None,
    config: ConfigOpt = None,
    home: HomeOpt = None,
    max_steps: StepsOpt = None,
    time_budget: BudgetOpt = None,
) -> None:
    """Answer one question (exit 1 when tools ran and every one of them failed)."""
    from agent.answer import dump_json
    from agent.api import QuestionError
    from tools.locks import LockBusy

    a = _assistant(config, _overrides(home, max_steps, time_budget))
    try:
        answer = a.ask(question, [str(p) for p in image or []], thread)
    except (QuestionError, LockBusy) as exc:
        fail(str(exc))
    finally:
        a.close()
    if json_out:
        sys.stdout.write(dump_json(answer) + "\n")
    else:
        render(answer)
    if answer.steps and not answer.refused and not any(s.ok for s in answer.steps):
        raise typer.Exit(1)


@app.command()
def chat(
    thread: Annotated[
        str | None, typer.Option("--thread", help="Continue this conversation.")
    ] = None,
    config: ConfigOpt = None,
    home: HomeOpt = None,
    max_steps: StepsOpt = None,
    time_budget: BudgetOpt = None,
) -> None:
    """Talk with the assistant; steps are shown as they happen. Ctrl-D or 'exit' quits."""
    import uuid

    from agent.answer import Answer
    from agent.api import QuestionError

    a = _assistant(config, _overrides(home, max_steps, time_budget))
    tid = thread or uuid.uuid4().hex[:12]
    past = a.history(tid)
    out.print(
        f"[bold]chemagent[/] - thread [cyan]{tid}[/] ({len(past)} earlier turn(s)). "
        "Ask about molecules by SMILES, CAS or name; 'exit' quits."
    )
    try:
        while True:
            try:
                question = out.input("[bold green]you>[/] ")
            except (EOFError, KeyboardInterrupt):
                out.print()
                break
            if question.strip().lower() in {"exit", "quit", ":q"}:
                break
            if not question.strip():
                continue
            try:
                for event in a.stream(question, thread_id=tid):
                    if isinstance(event, Answer):
                        out.print(escape(event.text), style="bold red" if event.refused else None)
                        for note in event.notes:
                            out.print(f"[dim]note: {escape(note)}[/]")
                    elif event.node in ("plan", "act") and event.message:
                        out.print(f"[dim]{escape(event.message)}[/]")
            except QuestionError as exc:
                err.print(f"[red]{escape(str(exc))}[/]")
    finally:
        a.close()
    out.print(f"[dim]continue later with: chemagent chat --thread {tid}[/]")


@app.command()
def batch(
    in_path: Annotated[Path, typer.Argument(help="JSONL: one {id, question, images} per line.")],
    out_path: Annotated[
        Path, typer.Option("--out", help="JSONL answers, appended as they finish.")
    ],
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 4,
    config: ConfigOpt = None,
    home: HomeOpt = None,
    max_steps: StepsOpt = None,
    time_budget: BudgetOpt = None,
) -> None:
    """Answer a file of questions; a rerun skips answered ids, so a killed batch resumes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.batch import BatchError, read_items

    try:
        items, bad = read_items(in_path)
    except BatchError as exc:
        fail(str(exc))
    a = _assistant(config, _overrides(home, max_steps, time_budget))
    with Progress(
        TextColumn("questions"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("batch", total=len(items) + len(bad))
        try:
            report = a.batch(
                in_path, out_path, concurrency, on_result=lambda rec: progress.advance(task)
            )
        except BatchError as exc:
            fail(str(exc))
        finally:
            a.close()
        progress.update(task, completed=report.answered + report.failed + report.skipped)
    err.print(
        f"{report.answered} answered, {report.failed} failed, {report.skipped} already done "
        f"-> {report.out_path}"
    )
    if report.failed:
        raise typer.Exit(1)


def _setup_names(settings: Any) -> None:
    """The offline drug dictionary and Orthonym (structure -> IUPAC name)."""
    from tools.base import ToolError
    from tools.names.drugs import drug_dictionary
    from tools.names.orthonym import iupac_name

    drugs = drug_dictionary()
    hit = drugs.entry("fentanyl") if drugs is not None else None
    if hit is not None and hit.smiles:
        out.print(f"drug names     ok (fentanyl -> {hit.smiles})")
    else:
        out.print(
            "drug names     [yellow]unavailable[/]: pip install drug-named-entity-recognition"
        )
    if not settings.names.orthonym:
        out.print("Orthonym       off (setting names.orthonym)")
        return
    try:
        out.print(f"Orthonym       ok (OC(=O)c1ccc(O)cc1 -> {iupac_name('OC(=O)c1ccc(O)cc1')})")
    except ToolError as exc:
        out.print(f"Orthonym       [yellow]unavailable[/]: {escape(str(exc))}")


@app.command()
def setup(config: ConfigOpt = None, home: HomeOpt = None) -> None:
    """Prepare the data folder and check the embedded defaults (RDKit, name table, safety list)."""
    from agent.safety import bundled_list
    from agent.settings import ConfigFileError, get_settings
    from tools.chem.mol import canonical_smiles
    from tools.names.table import builtin_table

    try:
        settings = get_settings(_overrides(home, None, None), config_file=config)
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


@app.command()
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
    flags = _overrides(home, None, None)
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


from agent.cli_index import index_app  # noqa: E402  (the group lives in its own module)

app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")
app.command(context_settings={"allow_extra_args": True})(serve)
app.command("eval")(eval_command)

train_app = typer.Typer(help="Train the models the agent uses.", no_args_is_help=True)
app.add_typer(train_app, name="train")

from agent.cli_train import register as _register_recipes  # noqa: E402

_register_recipes(train_app)


def _default_moleculenet() -> Path:
    """`CHEMAGENT_MOLECULENET`, else the shared data folder beside a source checkout."""
    import os

    env = os.environ.get("CHEMAGENT_MOLECULENET")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parent.parent
    return root.parent / "shared" / "data" / "moleculenet" / "chemprop_2019"


@train_app.command("predictors")
def train_predictors(
    endpoints: Annotated[
        list[str] | None,
        typer.Option("--endpoint", "-e", help="Endpoint to train (repeatable); default all."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Folder with bace.csv, bbbp.csv, clintox.csv, ..."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Where models are written; default <home>/predictors."),
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds 0..N-1.")] = 3,
    select: Annotated[
        bool,
        typer.Option("--select", help="Choose the feature set on the validation split first."),
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the markdown report here.")
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", help="LightGBM and PyTorch threads.")
    ] = None,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Retrain the property predictors reproducibly from the MoleculeNet CSVs (scaffold split)."""
    from agent.settings import ConfigFileError, get_settings
    from tools.predict.endpoints import catalogue
    from tools.predict.train import DataMissing, render_report, train_endpoint

    try:
        settings = get_settings(_overrides(home, None, None), config_file=config)
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    cat = catalogue()
    try:
        chosen = [cat.get(e) for e in endpoints or list(cat.endpoints)]
    except KeyError as exc:
        fail(str(exc.args[0]))
    target = out_dir or settings.predictors_dir
    source = data_dir or _default_moleculenet()
    reports = []

    def say(message: str) -> None:
        err.print(escape(message))

    with err.status("training"):
        for ep in chosen:
            try:
                reports.append(
                    train_endpoint(
                        ep,
                        source,
                        target,
                        seeds=tuple(range(seeds)),
                        candidates=cat.candidates if select else (),
                        threads=threads,
                        progress=say,
                    )
                )
            except (DataMissing, ValueError) as exc:
                fail(str(exc))
            except OSError as exc:
                fail(f"cannot write the {ep.name} model under {target}: {exc}; choose --out")
    text = render_report(reports, cat.endpoints)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    err.print(f"models written to {target}")


@app.command()
def predict(
    smiles: Annotated[list[str], typer.Argument(help="SMILES of the molecules.")],
    endpoint: Annotated[
        str, typer.Option("--endpoint", "-e", help="bace, bbbp, clintox, hiv or tox21.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Calibrated probabilities from a property predictor, with the applicability domain."""
    from agent.settings import ConfigFileError, get_settings
    from tools.base import ToolError
    from tools.predict.endpoints import catalogue
    from tools.predict.tools import predict_tools

    try:
        settings = get_settings(_overrides(home, None, None), config_file=config)
        endpoint = catalogue().get(endpoint).name
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    except KeyError as exc:
        fail(str(exc.args[0]))
    (tool,) = predict_tools(settings.predictors_dir, settings.chem)
    failed = 0
    for s in smiles:
        try:
            result = tool.run({"smiles": s, "endpoint": endpoint})
        except ToolError as exc:
            failed += 1
            if as_json:
                sys.stdout.write(json.dumps({"smiles": s, "ok": False, "error": str(exc)}) + "\n")
            else:
                err.print(f"[red]{escape(s)}[/]: {escape(str(exc))}")
            continue
        if as_json:
            sys.stdout.write(json.dumps({"ok": True, **result.data}) + "\n")
        else:
            d = result.data
            out.print(f"[bold]{escape(str(d['smiles']))}[/]")
            for line in d["prediction"]:
                out.print(f"  {escape(line)}")
            out.print(f"  model: {escape(str(d['model_quality']))}")
            if "applicability_domain" in d:
                out.print(f"  applicability domain: {escape(str(d['applicability_domain']))}")
    if failed:
        raise typer.Exit(1)


@app.command("tools")
def list_tools() -> None:
    """List the tools the agent can call."""
    from agent.deps import default_registry
    from agent.settings import get_settings

    table = Table("tool", "description")
    for t in default_registry(get_settings()):
        table.add_row(t.name, t.description)
    out.print(table)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug output.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # pypdf warns about each damaged PDF; the ingest report already says which were skipped.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
