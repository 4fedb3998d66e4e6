"""`chemagent train ...`: the training recipes (from `training.cli`) and the property predictors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from agent.cli.common import ConfigOpt, HomeOpt, err, fail, overrides
from training.cli import register

train_app = typer.Typer(help="Train the models the agent uses.", no_args_is_help=True)
register(train_app)


def _default_moleculenet(folder: str = "chemprop_2019") -> Path:
    """`CHEMAGENT_MOLECULENET` (the folder holding chemprop_2019/ and regression/), else the
    shared data folder beside a source checkout."""
    import os

    env = os.environ.get("CHEMAGENT_MOLECULENET")
    if env:
        base = Path(env)
        # an older setting named the classification folder itself
        return base / folder if (base / folder).is_dir() else base.parent / folder
    root = Path(__file__).resolve().parents[2]
    return root.parent / "shared" / "data" / "moleculenet" / folder


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
    regression_dir: Annotated[
        Path | None,
        typer.Option(
            "--regression-dir",
            help="Folder with delaney-processed.csv, freesolv.csv and lipo.csv.",
        ),
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
    """Retrain the property predictors reproducibly from the MoleculeNet CSVs (scaffold split):
    the classifiers (probabilities) and the regressors (values with intervals)."""
    from agent.settings import ConfigFileError, get_settings
    from tools.predict.endpoints import catalogue
    from tools.predict.minimol import MissingExtra
    from tools.predict.train import DataMissing, render_report, train_endpoint
    from tools.predict.train_regression import render_regression_report, train_regression

    try:
        settings = get_settings(overrides(home, None, None), config_file=config)
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    cat = catalogue()
    try:
        picked = [cat.find(e) for e in endpoints or cat.names]
    except KeyError as exc:
        fail(str(exc.args[0]))
    chosen = [cat.get(e.name) for e in picked if e.name in cat.endpoints]
    regressors = [e for e in picked if e.name in cat.regression]
    target = out_dir or settings.predictors_dir
    source = data_dir or _default_moleculenet()
    reg_source = regression_dir or _default_moleculenet("regression")
    reports = []
    reg_reports = []

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
            except (DataMissing, MissingExtra, ValueError) as exc:
                fail(str(exc))
            except OSError as exc:
                fail(f"cannot write the {ep.name} model under {target}: {exc}; choose --out")
        for reg in regressors:
            try:
                reg_reports.append(
                    train_regression(
                        cat.get_regression(reg.name),
                        reg_source,
                        target,
                        seeds=tuple(range(seeds)),
                        candidates=cat.regression_candidates if select else (),
                        threads=threads,
                        progress=say,
                    )
                )
            except (DataMissing, MissingExtra, ValueError) as exc:
                fail(str(exc))
            except OSError as exc:
                fail(f"cannot write the {reg.name} model under {target}: {exc}; choose --out")
    parts = [render_report(reports, cat.endpoints)] if reports else []
    if reg_reports:
        parts.append(render_regression_report(reg_reports, cat.regression))
    text = "\n".join(parts)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    err.print(f"models written to {target}")
