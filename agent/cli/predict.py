"""`chemagent predict|tools`: the property predictors directly; the tools the agent can call."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli.common import ConfigOpt, HomeOpt, err, fail, out, overrides


def predict(
    smiles: Annotated[list[str], typer.Argument(help="SMILES of the molecules.")],
    endpoint: Annotated[
        str,
        typer.Option(
            "--endpoint",
            "-e",
            help="bace, bbbp, clintox, hiv, tox21 (probabilities) or esol (aqueous "
            "solubility), freesolv (hydration free energy), lipo (logD7.4).",
        ),
    ],
    units: Annotated[
        str | None,
        typer.Option(
            "--units",
            help="esol: mol/L, mmol/L, µmol/L, g/L, mg/mL, mg/L, µg/mL; freesolv: kJ/mol.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Calibrated probabilities or values with intervals from a property predictor, with the
    applicability domain."""
    from agent.settings import ConfigFileError, get_settings
    from tools.base import ToolError
    from tools.predict.endpoints import catalogue
    from tools.predict.tools import predict_tools

    try:
        settings = get_settings(overrides(home, None, None), config_file=config)
        endpoint = catalogue().find(endpoint).name
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    except KeyError as exc:
        fail(str(exc.args[0]))
    (tool,) = predict_tools(settings.predictors_dir, settings.chem)
    failed = 0
    for s in smiles:
        try:
            args = {"smiles": s, "endpoint": endpoint} | ({"units": units} if units else {})
            result = tool.run(args)
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


def list_tools() -> None:
    """List the tools the agent can call."""
    from agent.deps import default_registry
    from agent.settings import get_settings

    table = Table("tool", "description")
    for t in default_registry(get_settings()):
        table.add_row(t.name, t.description)
    out.print(table)
