"""The recipes that produce the core models, as commands: `chemagent train pretrain|sft|align|merge|data`
and, without importing the agent (so `accelerate launch -m training sft -c ...` starts only what
training needs), `python -m training ...`."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user-facing error and exit with `code` (2: bad input or setup)."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


RecipeConfig = Annotated[
    Path, typer.Option("--config", "-c", help="Recipe YAML (training/configs/).")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Run folder; default runs/<config name>.")
]
ResumeOpt = Annotated[
    bool, typer.Option("--resume", help="Continue from the run's last checkpoint.")
]
ModelOpt = Annotated[
    Path | None, typer.Option("--model", help="Start from this checkpoint (overrides model:).")
]

data_app = typer.Typer(help="Build training data from the shared sources.", no_args_is_help=True)


def _run(recipe: str, config: Path, out: Path | None, resume: bool, model: Path | None) -> None:
    from training.config import ConfigError, load_config

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    overrides: dict[str, Any] = {"out": str(out) if out else None}
    if model:
        overrides["model"] = {"path": str(model)}
    try:
        cfg = load_config(config, **overrides)
    except ConfigError as exc:
        fail(str(exc))
    if cfg.recipe != recipe:
        fail(f"{config} is a {cfg.recipe!r} config; run `chemagent train {cfg.recipe}`")
    module = importlib.import_module(f"training.{recipe}")
    try:
        result = module.run(cfg, resume=resume)
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        fail(str(exc))
    sys.stdout.write(result.model_dump_json(indent=1) + "\n")
    err.print(
        f"{recipe}: {result.steps} steps, final loss {result.final_loss:.4f}, "
        f"{result.tokens_per_s:.0f} tokens/s; checkpoint in {Path(result.out) / 'final'}"
    )


def train_pretrain(
    config: RecipeConfig, out: OutOpt = None, resume: ResumeOpt = False, model: ModelOpt = None
) -> None:
    """Continued pretraining of a causal LM on a packed corpus."""
    _run("pretrain", config, out, resume, model)


def train_sft(
    config: RecipeConfig, out: OutOpt = None, resume: ResumeOpt = False, model: ModelOpt = None
) -> None:
    """Instruction tuning (full or LoRA), loss on assistant tokens; exports a servable checkpoint."""
    _run("sft", config, out, resume, model)


def train_align(
    config: RecipeConfig, out: OutOpt = None, resume: ResumeOpt = False, model: ModelOpt = None
) -> None:
    """One stage of ViT-MLP-LLM alignment on image-SMILES pairs."""
    _run("align", config, out, resume, model)


def train_merge(
    base: Annotated[Path, typer.Option("--base", help="The base checkpoint folder.")],
    adapter: Annotated[Path, typer.Option("--adapter", help="The saved LoRA adapter folder.")],
    out: Annotated[Path, typer.Option("--out", help="Where the merged checkpoint goes.")],
) -> None:
    """Merge a LoRA adapter into its base model as a plain Hugging Face checkpoint."""
    from training.lora import merge_adapter

    for p in (base, adapter):
        if not p.is_dir():
            fail(f"{p} is not a folder")
    merge_adapter(base, adapter, out)
    err.print(f"merged checkpoint in {out}")


def _shared(data: Path | None) -> Path:
    from training.config import shared_data

    return data or shared_data()


@data_app.command("instructions")
def data_instructions(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for chemistry.jsonl, general.jsonl, report.json.")
    ] = Path("runs/sft-data"),
    per_family: Annotated[
        int, typer.Option("--per-family", min=1, help="Source rows per task family.")
    ] = 2000,
    general: Annotated[
        int, typer.Option("--general", min=0, help="General (PubMed title) dialogues.")
    ] = 4000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    data: Annotated[Path | None, typer.Option("--data", help="The shared data folder.")] = None,
) -> None:
    """Chemistry instruction dialogues (description, design, property, formula, IUPAC names),
    with every evaluation molecule removed, and a general set to mix with them."""
    from training.data.build import build_instruction_data

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        with err.status("building instruction data (the leakage check reads every evaluation set)"):
            report = build_instruction_data(_shared(data), out, per_family, general, seed)
    except FileNotFoundError as exc:
        fail(str(exc))
    sys.stdout.write(report.model_dump_json(indent=1) + "\n")


@data_app.command("images")
def data_images(
    out: Annotated[Path, typer.Option("--out", help="Folder for images/ and pairs.jsonl.")] = Path(
        "runs/align-data"
    ),
    n: Annotated[int, typer.Option("--n", min=1, help="How many image-SMILES pairs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    data: Annotated[Path | None, typer.Option("--data", help="The shared data folder.")] = None,
) -> None:
    """Render image-SMILES pairs with RDKit from ChEBI-20 validation molecules, leaving out every
    evaluation molecule (the OCSR benchmarks' included)."""
    from training.data.images import render_pairs
    from training.data.instructions import chebi_rows
    from training.data.leakage import evaluation_molecules, molecule_key

    shared = _shared(data)
    try:
        with err.status("collecting evaluation molecules"):
            forbidden = evaluation_molecules(shared)
        rows = chebi_rows(shared / "literature" / "chebi20" / "validation.txt")
        smiles = (s for s, _ in rows if (k := molecule_key(s)) is None or k not in forbidden)
        with err.status("rendering"):
            count = render_pairs(smiles, out, seed=seed, limit=n)
    except FileNotFoundError as exc:
        fail(str(exc))
    sys.stdout.write(json.dumps({"pairs": count, "manifest": str(out / "pairs.jsonl")}) + "\n")


def register(train_app: typer.Typer) -> None:
    """Mount the recipe commands on `train_app` (the `chemagent train` group or this module's app)."""
    train_app.command("pretrain")(train_pretrain)
    train_app.command("sft")(train_sft)
    train_app.command("align")(train_align)
    train_app.command("merge")(train_merge)
    train_app.add_typer(data_app, name="data")


app = typer.Typer(
    name="python -m training",
    help="Train the chemistry cores (the same commands as `chemagent train`).",
    no_args_is_help=True,
    add_completion=False,
)
register(app)
