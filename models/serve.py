"""Start vLLM's OpenAI-compatible server for a preset and wait until it answers.

The command is built from data (the preset's vLLM arguments) so `--dry-run` shows exactly what
would run. vLLM is started as `python -m vllm.entrypoints.openai.api_server`: the `vllm` console
script of the CPU wheel fails on its own package metadata, and `-m` works for both wheels.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from models.errors import BackendUnavailable, ModelLoadError
from models.formats import chat_template
from models.presets import Preset

logger = logging.getLogger(__name__)

# Plans need no whitespace, and a weak model under a JSON grammar that allows it can emit
# newlines until max_tokens; xgrammar can forbid it server-wide.
STRUCTURED_OUTPUTS = {"backend": "xgrammar", "disable_any_whitespace": True}


def vllm_command(
    preset: Preset,
    model: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    tensor_parallel_size: int | None = None,
    python: str | None = None,
    template_file: Path | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """The command line that serves `preset` (weights from `model`, else the preset's id)."""
    weights = model or preset.checkpoint
    if not weights:
        raise ModelLoadError(
            f"preset {preset.name} has no published checkpoint; pass --model PATH "
            "(for tiny-test: `chemagent model build-tiny DIR` first)"
        )
    cmd = [
        python or sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(weights),
        "--served-model-name",
        preset.name,
        "--host",
        host,
        "--port",
        str(port),
        *preset.vllm_args,
        "--structured-outputs-config",
        json.dumps(STRUCTURED_OUTPUTS),
    ]
    tp = tensor_parallel_size if tensor_parallel_size is not None else preset.gpus
    if tp > 1:
        cmd += ["--tensor-parallel-size", str(tp)]
    if template_file is not None:
        cmd += ["--chat-template", str(template_file)]
    return cmd + list(extra or [])


def write_template(preset: Preset, folder: Path) -> Path | None:
    """The preset's dialogue template as a file for `--chat-template`; None: model's own."""
    text = chat_template(preset.format)
    if text is None:
        return None
    path = folder / f"{preset.format}.jinja"
    path.write_text(text, encoding="utf-8")
    return path


class VLLMServer:
    """A vLLM server process for one preset; a context manager that stops it on exit.

    Args:
        preset: what to serve. model: weights (path or id). log_file: where its output goes.
        cpu_kv_cache_gb: KV-cache size for vLLM's CPU backend (ignored on GPUs).
        template_dir: where the chat-template file is written (default: a temporary folder,
            removed on exit; give a lasting one when the command is printed for later use).
    """

    def __init__(
        self,
        preset: Preset,
        model: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        tensor_parallel_size: int | None = None,
        python: str | None = None,
        log_file: Path | None = None,
        cpu_kv_cache_gb: int = 1,
        extra: list[str] | None = None,
        template_dir: Path | None = None,
    ) -> None:
        self.preset = preset
        self._tmp = tempfile.TemporaryDirectory(prefix="chemagent-serve-")
        folder = template_dir or Path(self._tmp.name)
        folder.mkdir(parents=True, exist_ok=True)
        self.command = vllm_command(
            preset,
            model,
            host=host,
            port=port,
            tensor_parallel_size=tensor_parallel_size,
            python=python,
            template_file=write_template(preset, folder),
            extra=extra,
        )
        self.url = f"http://{host}:{port}/v1"
        self.log_file = log_file or Path(self._tmp.name) / "vllm.log"
        self.env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": str(cpu_kv_cache_gb)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout_s: float = 600.0) -> str:
        """Poll `/v1/models` until the server lists the preset; return the base URL."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BackendUnavailable(
                    f"vLLM exited with code {self.process.returncode} before it was ready; "
                    f"last lines of {self.log_file}:\n{self.log_tail()}"
                )
            try:
                r = httpx.get(self.url + "/models", timeout=2.0)
                if r.status_code == 200 and self.preset.name in r.text:
                    return self.url
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        raise BackendUnavailable(
            f"vLLM did not answer within {timeout_s:g} s; see {self.log_file}:\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 30.0) -> None:
        """Terminate the server and its engine processes (the whole process group)."""
        import signal

        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the server at once, as a crash would (tests use it)."""
        import signal

        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> VLLMServer:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._tmp.cleanup()
