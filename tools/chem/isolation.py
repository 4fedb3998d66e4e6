"""Run RDKit work that can explode combinatorially in a child process that can be killed.

Some SMARTS queries take exponential time in VF2 matching (a long `~` chain over a fused ring
system runs for minutes). RDKit releases the GIL but cannot be interrupted, so a thread-based
timeout would return to the user while the CPU stays pegged. A child process is killed instead.

The child is a plain `python -m tools.chem.isolation` started once and reused until a timeout.
It is not a multiprocessing "spawn" child, because those re-import the caller's `__main__`, which
would re-run a lab script that has no `if __name__ == "__main__"` guard.
"""

from __future__ import annotations

import importlib
import logging
import pickle
import select
import struct
import subprocess
import sys
import threading
from typing import IO, Any

from models.deadline import limit
from tools.base import ToolDeadlineExceeded, ToolError, ToolInputError, ToolTimeout

logger = logging.getLogger(__name__)
_HEADER = struct.Struct("!I")


def _write(stream: IO[bytes], obj: Any) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError
    return pickle.loads(payload)


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """Child loop: read (module, function, kwargs), answer (status, payload)."""
    while True:
        try:
            module, name, kwargs = _read(inp)
        except EOFError:
            return
        try:
            func = getattr(importlib.import_module(module), name)
            reply: tuple[str, Any] = ("ok", func(**kwargs))
        except ToolInputError as exc:
            reply = ("input", str(exc))
        except Exception as exc:  # reported to the parent, never swallowed
            reply = ("error", f"{type(exc).__name__}: {exc}")
        _write(out, reply)


class IsolatedRunner:
    """One reusable child process; `call` runs `module.name(**kwargs)` there with a deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "tools.chem.isolation"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._proc

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait(5)
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()
        self._proc = None

    def call(self, module: str, name: str, timeout_s: float, **kwargs: Any) -> Any:
        """Run `module.name(**kwargs)` in the child; kill it if it runs past `timeout_s` or the
        question's deadline, whichever comes first."""
        timeout_s = limit(timeout_s, name.replace("_", " "), raises=ToolDeadlineExceeded)
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                _write(proc.stdin, (module, name, kwargs))
                ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
                if not ready:
                    logger.warning("killing RDKit worker after %.1f s in %s", timeout_s, name)
                    self._kill()
                    raise ToolTimeout(
                        f"{name.replace('_', ' ')} did not finish within {timeout_s:g} s and "
                        "was stopped; use a more specific pattern (fewer wildcard atoms and '~' "
                        "bonds) or raise chem.smarts_timeout_s"
                    )
                status, payload = _read(proc.stdout)
            except (BrokenPipeError, EOFError, OSError, pickle.UnpicklingError):
                self._kill()
                raise ToolError("the RDKit worker process died; try again") from None
        if status == "input":
            raise ToolInputError(payload)
        if status == "error":
            raise ToolError(payload)
        return payload

    def close(self) -> None:
        with self._lock:
            self._kill()


_default: IsolatedRunner | None = None
_default_lock = threading.Lock()


def default_runner() -> IsolatedRunner:
    """The process-wide runner, created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = IsolatedRunner()
        return _default


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
