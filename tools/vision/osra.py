"""OSRA, the open-source optical structure recognition program, run as a subprocess."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tools.base import ToolError, ToolInputError, ToolTimeout


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
    """SMILES of every structure OSRA finds in `image`, in its order (may be empty)."""
    if not image.is_file():
        raise ToolInputError(f"image not found: {image}")
    try:
        out = subprocess.run(
            [osra_path(exe), str(image)], capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        raise ToolTimeout(
            f"OSRA ran past {timeout_s:g} s on {image.name} (setting vision.timeout_s)"
        ) from None
    if out.returncode != 0:
        detail = " ".join(out.stderr.split())[:200] or f"exit code {out.returncode}"
        raise ToolInputError(f"OSRA could not read {image.name}: {detail}")
    return [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
