"""OSRA, the open-source optical structure recognition program, run as a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from models.deadline import limit
from tools.base import ToolDeadlineExceeded, ToolError, ToolInputError, ToolTimeout


class OsraUnavailable(ToolError):
    """OSRA is not installed or not runnable."""


def osra_path(exe: str) -> str:
    """The OSRA executable, or an error that says how to install it."""
    found = shutil.which(exe)
    if found is None:
        raise OsraUnavailable(
            f"OSRA ({exe}) is not installed, so images cannot be read offline: install it "
            "(Debian/Ubuntu: `apt-get install osra`) or set vision.osra to its path; with a "
            "ChemVLM server configured (CHEMAGENT_VLM_URL) images are read by the model instead"
        )
    return found


def osra_version(exe: str = "osra") -> str:
    """'OSRA 2.1.3' (from `osra --version`, which prints '/usr/bin/osra  version: 2.1.3')."""
    out = subprocess.run([osra_path(exe), "--version"], capture_output=True, text=True, timeout=30)
    text = (out.stdout or out.stderr).strip()
    return "OSRA " + text.split("version:")[-1].strip() if "version:" in text else text


def recognise(image: Path, exe: str = "osra", timeout_s: float = 60.0) -> list[str]:
    """SMILES of every structure OSRA finds in `image`, in its order (may be empty).

    OSRA runs in its own process group, killed (with anything it started) when it runs past
    `timeout_s` or the question's deadline: a timed-out reading never keeps running.
    """
    if not image.is_file():
        raise ToolInputError(f"image not found: {image}")
    timeout_s = limit(timeout_s, "OSRA", raises=ToolDeadlineExceeded)
    proc = subprocess.Popen(
        [osra_path(exe), str(image)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ToolTimeout(
            f"OSRA ran past {timeout_s:.3g} s on {image.name} and was stopped "
            "(setting vision.timeout_s, or the question's time budget)"
        ) from None
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    if proc.returncode != 0:
        detail = " ".join(stderr.split())[:200] or f"exit code {proc.returncode}"
        raise ToolInputError(f"OSRA could not read {image.name}: {detail}")
    return [line.split()[0] for line in stdout.splitlines() if line.strip()]
