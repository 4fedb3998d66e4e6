"""Run the commands whose output README.md and docs/*.md show, and check or rewrite that output.

    .venv/bin/python docs/outputs.py --check          # every marked block; exit 1 on a difference
    .venv/bin/python docs/outputs.py --write          # rerun them and rewrite the blocks in place
    .venv/bin/python docs/outputs.py --check docs/predictors.md -k freesolv   # some blocks only

A shown output is a fenced block immediately preceded by an HTML comment (the marker):

    <!-- output: chemagent ask "What is the molecular weight of caffeine?" -->
        A shell command, run with bash from the repository root, the virtualenv's bin first on
        PATH. Several commands: one per line, the marker closed by `-->` on its own line. A line
        starting with `> ` after a command is typed at that command's prompt (`you> `): such a
        command runs under a pseudo-terminal, so the block shows the typed line as a terminal does.
        A command that talks to `localhost:8000` gets a fresh `chemagent api` on a free port for
        the block (the port is put into the command, and 8000 back into the output).
    <!-- output-python: docs/examples/NAME.py -->
        The example file is run with the virtualenv's Python. The fenced block before the marker
        must hold the file's source (checked; `--write` copies it in).
    <!-- output-recorded: make test -->
        Output recorded from a run that cannot be repeated inside the test suite (the whole suite,
        a GPU, minutes of benchmark). What can be verified cheaply is: `make test` and `make run`
        show exactly the recipe lines `make -n -B` prints; the `N passed, M skipped ...` line of
        `make test` adds up to what `pytest --collect-only -q` collects, its ruff line to what
        `ruff format --check .` says, its mypy line to the number of Python files mypy checks.
        For any other command: each `$ ` line's `chemagent` subcommand and options exist, and the
        repository files it names exist. `--write` leaves recorded blocks alone: update them by
        hand from a real run.

Every command runs offline with a throwaway HOME (so ~/.chemagent and its config.toml are not
read; it is shown as `~`), no `CHEMAGENT_*` variable but `CHEMAGENT_SHARED_DATA`, PubChem in
offline mode (`CHEMAGENT_PUBCHEM__OFFLINE=1`: answers come from the cache only, never the
network), a 100-column terminal (`COLUMNS=100`), and no colour (`TERM=dumb`, `NO_COLOR=1`).
The repository's own path is shown relative (`.venv/bin/python3`).

Before comparing, both the shown and the real output are normalised by masking only what may
legitimately move between runs: durations and rates (`0.001 s`, `938.99s`, `0:00:01`, `50/s`,
the `s` column of the steps table, JSON `seconds`/`created`/`*_s` fields), dates, temporary
paths, ids (uuids, thread ids, batch and completion ids) and port numbers; and text that differs
only in where the terminal wrapped it agrees. Everything else — molecular weights, counts,
scores, answers — must match exactly. A block shown on two pages (same marker) runs once.
"""

from __future__ import annotations

import argparse
import difflib
import fcntl
import os
import re
import select
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("output", "output-python", "output-recorded")
TIMINGS: dict[tuple[str, str], float] = {}  # seconds each block took in this process
SHOWN_PORT = 8000
COLUMNS = 100
TIMEOUT_S = 180

_MARKER = re.compile(r"^<!--\s*(output(?:-python|-recorded)?):(.*)$")
_FENCE = re.compile(r"^(`{3,})(\S*)\s*$")
_PROMPT = re.compile(r"(?:^|\n)[\w.-]+> $")  # a last line that is only a prompt, like `you> `
_REPO_FILE = re.compile(r"^(agent|tools|models|training|evals|benchmarks|tests|docs)/\S+\.\w+$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


@dataclass
class Command:
    """One shell command of a marker, with the lines typed at its prompts."""

    text: str
    inputs: list[str] = field(default_factory=list)


@dataclass
class Block:
    """A marked fenced block in a page (line numbers are 0-based indexes into the page)."""

    path: Path
    kind: str
    arg: str  # the marker's text: commands, the example file, or the recorded command
    commands: list[Command]
    marker_start: int
    fence_start: int  # the opening ``` line
    fence_end: int  # the closing ``` line
    body: str  # what the page shows between the fences
    source: tuple[int, int] | None = None  # python example: its source block's fences

    @property
    def where(self) -> str:
        return f"{_rel(self.path)}:{self.marker_start + 1}"

    @property
    def label(self) -> str:
        return f"{self.where} [{self.kind}] {self.arg.splitlines()[0] if self.arg else ''}"


@dataclass
class Result:
    block: Block
    real: str | None  # the output produced now (None for recorded blocks)
    problems: list[str]


# ---------------------------------------------------------------------------------------------
# Pages and markers


def pages() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def parse(path: Path, text: str | None = None) -> list[Block]:
    """The marked blocks of one page."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        kind, rest = m.group(1), m.group(2)
        start = i
        chunk = [rest]
        while "-->" not in chunk[-1]:
            i += 1
            if i >= len(lines):
                raise ValueError(f"{_rel(path)}:{start + 1}: marker never closed with -->")
            chunk.append(lines[i])
        chunk[-1] = chunk[-1].split("-->", 1)[0]
        arg = "\n".join(c.strip() for c in chunk if c.strip())
        i += 1
        fence = _FENCE.match(lines[i]) if i < len(lines) else None
        if not fence:
            raise ValueError(f"{_rel(path)}:{start + 1}: a marker must be followed by a fence")
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence.group(1):
            end += 1
        if end >= len(lines):
            raise ValueError(f"{_rel(path)}:{i + 1}: fence never closed")
        block = Block(
            path=path,
            kind=kind,
            arg=arg,
            commands=_commands(arg) if kind != "output-python" else [],
            marker_start=start,
            fence_start=i,
            fence_end=end,
            body="\n".join(lines[i + 1 : end]),
        )
        if kind == "output-python":
            block.source = _source_block(lines, start)
            if block.source is None:
                raise ValueError(f"{block.where}: no ```python block with the example's source")
        blocks.append(block)
        i = end + 1
    return blocks


def _commands(arg: str) -> list[Command]:
    commands: list[Command] = []
    for line in arg.splitlines():
        if line.startswith("> ") or line == ">":
            if not commands:
                raise ValueError(f"typed input {line!r} before any command")
            commands[-1].inputs.append(line[2:])
        else:
            commands.append(Command(line))
    return commands


def _source_block(lines: list[str], marker: int) -> tuple[int, int] | None:
    """The ```python fences that end right before the marker (blank lines and prose between)."""
    j = marker - 1
    while j >= 0 and not lines[j].startswith("```"):
        j -= 1
    if j < 0 or lines[j].strip() != "```":
        return None
    k = j - 1
    while k >= 0 and not lines[k].startswith("```"):
        k -= 1
    if k < 0 or lines[k].strip() != "```python":
        return None
    return k, j


# ---------------------------------------------------------------------------------------------
# Running


def _bin_dir() -> Path:
    venv = ROOT / ".venv" / "bin"
    return venv if (venv / "python").exists() else Path(sys.executable).parent


def command_env(home: Path) -> dict[str, str]:
    """The environment every shown command runs in (see the module docstring)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CHEMAGENT_") or k == "CHEMAGENT_SHARED_DATA"
    }
    for key in (
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "FORCE_COLOR",
        "CLICOLOR_FORCE",
        "PYTEST_CURRENT_TEST",
    ):
        env.pop(key, None)
    env.update(
        HOME=str(home),
        # The user cache folder is not the throwaway HOME's: the offline name index built there
        # once (tools/names/index.py) serves every block, as it serves every process.
        XDG_CACHE_HOME=env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"),
        PATH=f"{_bin_dir()}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        COLUMNS=str(COLUMNS),
        LINES="50",
        TERM="dumb",
        NO_COLOR="1",
        TZ="UTC",
        PYTHONIOENCODING="utf-8",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        CHEMAGENT_PUBCHEM__OFFLINE="1",
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def api_server(env: dict[str, str]) -> Iterator[int]:
    """`chemagent api` on a free port with the block's throwaway HOME; yields the port."""
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [str(_bin_dir() / "chemagent"), "api", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(port, proc, log)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                text = log.read().decode(errors="replace")
                raise RuntimeError(f"chemagent api did not start: {text}") from None
            time.sleep(0.2)


def _run_plain(cmd: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        ["bash", "-c", cmd],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=TIMEOUT_S,
    )
    return proc.stdout.decode("utf-8", errors="replace")


def _run_typed(cmd: str, inputs: list[str], env: dict[str, str]) -> str:
    """Run under a pseudo-terminal; type each input line when the program shows its prompt."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        ["bash", "-c", cmd],
        cwd=ROOT,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    pending = list(inputs)
    seen = b""
    since = 0  # a prompt counts only in what came after the last line typed
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                seen += data
            text = _ANSI.sub("", seen[since:].decode("utf-8", errors="replace"))
            if pending and _PROMPT.search(text):
                os.write(master, pending.pop(0).encode() + b"\n")
                since = len(seen)
            elif not ready and proc.poll() is not None:
                break
        else:
            proc.kill()
            raise TimeoutError(f"{cmd!r} did not finish in {TIMEOUT_S} s")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return seen.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "")


def _display(text: str, home: Path, port: int | None) -> str:
    """Real output as a page shows it: home as ~, the repository path relative, port 8000."""
    text = _ANSI.sub("", text)
    text = text.replace(str(home), "~").replace(f"{ROOT}/", "")
    if port is not None:
        text = re.sub(rf"(localhost|127\.0\.0\.1):{port}\b", rf"\g<1>:{SHOWN_PORT}", text)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def run_block(block: Block) -> str:
    """Run a block's commands (or its example) now; returns the body the page should show."""
    # A short home of fixed length: rich wraps lines before `~` replaces it, so its length
    # must not vary from machine to machine.
    with tempfile.TemporaryDirectory(prefix="cd", dir="/tmp") as tmp:
        home = Path(tmp)
        env = command_env(home)
        if block.kind == "output-python":
            source = (ROOT / block.arg).read_text(encoding="utf-8")
            if not _uses_server(source):
                cmd = f"python {shlex.quote(block.arg)}"
                return f"$ python {block.arg}\n" + _display(_run_plain(cmd, env), home, None)
            with api_server(env) as port:  # a copy of the example that talks to this server
                copy = home / Path(block.arg).name
                copy.write_text(_to_port(source, port), encoding="utf-8")
                raw = _run_plain(f"python {shlex.quote(str(copy))}", env)
            return f"$ python {block.arg}\n" + _display(raw, home, port)
        needs_server = any(_uses_server(c.text) for c in block.commands)
        with api_server(env) if needs_server else _no_server() as port:
            parts = []
            for c in block.commands:
                cmd = c.text if port is None else _to_port(c.text, port)
                raw = _run_typed(cmd, c.inputs, env) if c.inputs else _run_plain(cmd, env)
                shown = _display(raw, home, port)
                parts.append(f"$ {c.text}" + (f"\n{shown}" if shown else ""))
            return "\n".join(parts)


@contextmanager
def _no_server() -> Iterator[None]:
    yield None


def _uses_server(text: str) -> bool:
    return bool(re.search(rf"(localhost|127\.0\.0\.1):{SHOWN_PORT}\b", text))


def _to_port(text: str, port: int) -> str:
    return re.sub(rf"(localhost|127\.0\.0\.1):{SHOWN_PORT}\b", rf"\g<1>:{port}", text)


# ---------------------------------------------------------------------------------------------
# Normalisation: mask only what may move between runs

_MASKS: list[tuple[re.Pattern[str], str]] = [
    # ids: uuids, thread ids, batch and chat-completion ids
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"((?:--thread|thread)[ =])[0-9a-f]{8,32}\b"), r"\1<id>"),
    (re.compile(r'("thread_id"\s*:\s*")[0-9a-f]{8,32}"'), r'\1<id>"'),
    (re.compile(r"\b(batch|chatcmpl|call)[_-][0-9A-Za-z]{6,}"), r"\1_<id>"),
    # dates and times of day
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
        ),
        "<date>",
    ),
    # temporary paths
    (re.compile(r"/(?:tmp|var/folders)/[^\s'\"`),\]]+"), "<tmp>"),
    # ports on this machine
    (re.compile(r"\b(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):\d{2,5}\b"), r"\1:<port>"),
    # JSON fields that hold a duration or a timestamp
    (
        re.compile(
            r'("(?:seconds|created|elapsed_s|tokens_per_s|\w+_s)"\s*:\s*)-?\d+(?:\.\d+)?(?:e-?\d+)?'
        ),
        r"\1<t>",
    ),
    # durations and rates
    (re.compile(r"(?<![\w.])\d+:\d{2}:\d{2}\b"), "<t>"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds|min|minutes)\b"), "<t>"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:[A-Za-z]+)?/s\b"), "<rate>"),
]


def normalise(text: str) -> str:
    """Text with what may legitimately move masked (see the module docstring)."""
    text = _ANSI.sub("", text).replace("\r", "")
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    text = "\n".join(_seconds_column(lines))
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text


def _seconds_column(lines: list[str]) -> Iterable[str]:
    """Mask the `s` (seconds) column of rich's steps tables; keep every other cell."""
    col: int | None = None
    for line in lines:
        if line.startswith("┃"):
            cells = [c.strip() for c in line.strip("┃").split("┃")]
            col = cells.index("s") if "s" in cells else None
        elif line.startswith("│") and col is not None:
            cells = line[1:-1].split("│")
            if col < len(cells) and cells[col].strip():
                cells[col] = re.sub(r"\d+\.\d+", "<t>", cells[col])
                line = "│" + "│".join(cells) + "│"
        elif not line.startswith(("┏", "┡", "└", "│")):
            col = None
        yield line


def differences(shown: str, real: str) -> str:
    """A unified diff of the normalised texts ('' when they agree). Text that differs only in
    where the terminal wrapped it (a timing one character longer moves a word) agrees."""
    a, b = normalise(shown).split("\n"), normalise(real).split("\n")
    if a == b or " ".join(normalise(shown).split()) == " ".join(normalise(real).split()):
        return ""
    return "\n".join(
        difflib.unified_diff(a, b, "shown (normalised)", "real (normalised)", lineterm="", n=1)
    )


# ---------------------------------------------------------------------------------------------
# Recorded blocks: what can be verified without repeating the run


def verify_recorded(block: Block) -> list[str]:
    """What can be checked of a recorded block without repeating its run."""
    cmd = block.arg.strip()
    problems: list[str] = []
    if cmd in ("make test", "make run"):
        problems += _verify_make_lines(block.body, cmd.split()[1])
        if cmd == "make test":
            problems += _verify_test_run(block.body)
        return problems
    lines = block.body.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        problems += _verify_command_line(line[2:])
        out = re.search(r"\s--out\s+(\S+)", line)
        if out and (ROOT / out.group(1) / "report.md").is_file():
            shown = []
            for following in lines[i + 1 :]:
                if following.startswith("$ "):
                    break
                shown.append(following)
            problems += _verify_report(shown, ROOT / out.group(1) / "report.md")
    return problems


def _verify_make_lines(body: str, target: str) -> list[str]:
    dry = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    recipe = {line.strip() for line in dry}
    problems = []
    for line in body.splitlines():
        if re.match(r"(python3 -m venv|\.venv(-vllm)?/bin/|touch )", line) and line not in recipe:
            problems.append(f"`make -n -B {target}` runs no line {line!r}")
    return problems


def _verify_test_run(body: str) -> list[str]:
    """`make test`: the test count, the ruff and mypy file counts, the test files named."""
    problems = []
    summary = re.search(r"=+ (\d+ passed.*?) in [\d.]+s", body)
    if not summary:
        return ["no pytest summary line (`N passed ... in Ns`)"]
    counts = re.findall(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)", summary.group(1))
    shown = sum(int(n) for n, _ in counts)
    if shown != (collected := collect_count()):
        problems.append(
            f"the summary shows {shown} tests ({summary.group(1)}); "
            f"`pytest --collect-only -q` collects {collected}"
        )
    if m := re.search(r"^(\d+) files already formatted", body, re.M):
        ruff = subprocess.run(
            [str(_bin_dir() / "ruff"), "format", "--check", "."],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        if f"{m.group(1)} files already formatted" not in ruff:
            problems.append(f"the ruff line shows {m.group(1)} files; now: {ruff.strip()!r}")
    if m := re.search(r"Success: no issues found in (\d+) source files", body):
        n = sum(
            len(list((ROOT / p).rglob("*.py"))) for p in ("agent", "tools", "models", "training")
        )
        if int(m.group(1)) != n:
            problems.append(f"the mypy line shows {m.group(1)} source files; mypy checks {n}")
    for name in re.findall(r"^(tests/\S+\.py)", body, re.M):
        if not (ROOT / name).is_file():
            problems.append(f"{name} is shown but does not exist")
    return problems


@cache
def collect_count() -> int:
    """How many tests `pytest` (as `make test` runs it) collects."""
    out = subprocess.run(
        [str(_bin_dir() / "pytest"), "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    m = re.search(r"^(\d+) tests? collected", out, re.M)
    if not m:
        raise RuntimeError("pytest --collect-only printed no count:\n" + out[-2000:])
    return int(m.group(1))


def _verify_report(shown: list[str], report: Path) -> list[str]:
    """A recorded `chemagent eval ... --out DIR`: its table rows are those of DIR/report.md."""
    rows = set(report.read_text(encoding="utf-8").splitlines())
    return [
        f"{_rel(report)} has no row {line!r}"
        for line in shown
        if line.startswith("|") and line not in rows
    ]


def _verify_command_line(line: str) -> list[str]:
    """A recorded `$ ` line: the chemagent subcommand and options, scripts and their options,
    and the repository files it names exist."""
    line = re.split(r"\s#\s", line, maxsplit=1)[0].strip()
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return [f"cannot parse {line!r}: {exc}"]
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        words.pop(0)
    if words and words[0] == "export":
        return []
    problems = []
    for word in words:
        for piece in word.split("="):
            if _REPO_FILE.match(piece) and not (ROOT / piece).exists():
                problems.append(f"{line!r} names {piece}, which does not exist")
    if words and Path(words[0]).name == "chemagent":
        problems += _verify_chemagent(words[1:], line)
    elif len(words) > 1 and Path(words[0]).name.startswith("python") and words[1].endswith(".py"):
        script = ROOT / words[1]
        if script.is_file():
            source = script.read_text(encoding="utf-8")
            for option in (w.split("=", 1)[0] for w in words[2:] if w.startswith("--")):
                if f'"{option}"' not in source:
                    problems.append(f"{line!r}: {words[1]} has no option {option!r}")
    return problems


def _verify_chemagent(args: list[str], line: str) -> list[str]:
    import typer

    from agent.cli import app

    cmd = typer.main.get_command(app)  # a click-style group (typer may vendor its own click)
    i = 0
    while hasattr(cmd, "commands") and i < len(args) and not args[i].startswith("-"):
        sub = cmd.commands.get(args[i])
        if sub is None:
            return [f"{line!r}: no command {args[i]!r} (has: {', '.join(sorted(cmd.commands))})"]
        cmd, i = sub, i + 1
    options = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    problems = []
    for a in args[i:]:
        if a == "--":
            break
        if a.startswith("-") and not re.match(r"^-\d", a) and a.split("=", 1)[0] not in options:
            problems.append(f"{line!r}: {cmd.name} has no option {a.split('=', 1)[0]!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# Check and write


def _python_source_problem(block: Block) -> str | None:
    assert block.source is not None
    lines = block.path.read_text(encoding="utf-8").splitlines()
    shown = "\n".join(lines[block.source[0] + 1 : block.source[1]])
    real = (ROOT / block.arg).read_text(encoding="utf-8").rstrip("\n")
    if shown != real:
        return f"the source shown differs from {block.arg}"
    return None


def run_all(blocks: list[Block], jobs: int = 2) -> dict[tuple[str, str], str]:
    """Run each distinct runnable block once (two pages may show the same example)."""
    keys = list(dict.fromkeys((b.kind, b.arg) for b in blocks if b.kind != "output-recorded"))
    first = {(b.kind, b.arg): b for b in reversed(blocks)}

    def timed(key: tuple[str, str]) -> str:
        started = time.monotonic()
        out = run_block(first[key])
        TIMINGS[key] = time.monotonic() - started
        return out

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outputs = list(pool.map(timed, keys))
    return dict(zip(keys, outputs, strict=True))


def check_block(block: Block, real: str | None = None) -> Result:
    """Compare one block with its real output (run now unless given), or verify a recorded one."""
    if block.kind == "output-recorded":
        return Result(block, None, verify_recorded(block))
    problems = []
    if block.kind == "output-python" and (problem := _python_source_problem(block)):
        problems.append(problem)
    if real is None:
        real = run_block(block)
    if diff := differences(block.body, real):
        problems.append("shown output differs from the real one:\n" + diff)
    return Result(block, real, problems)


def check(blocks: list[Block], jobs: int = 2) -> list[Result]:
    """Every block checked; each distinct command runs once, `jobs` at a time."""
    real = run_all(blocks, jobs)
    return [check_block(b, real.get((b.kind, b.arg))) for b in blocks]


def write(blocks: list[Block], jobs: int = 2) -> list[Path]:
    """Rerun the blocks and rewrite the bodies that differ beyond what may move (and python
    sources); returns changed pages."""
    real = run_all(blocks, jobs)
    for (kind, arg), text in real.items():
        if "Traceback (most recent call last)" in text:
            raise RuntimeError(f"[{kind}] {arg} crashed; nothing written:\n{text}")
    changed = []
    for path in dict.fromkeys(b.path for b in blocks):
        lines = path.read_text(encoding="utf-8").splitlines()
        mine = [b for b in blocks if b.path == path and b.kind != "output-recorded"]
        for block in sorted(mine, key=lambda b: -b.fence_start):
            text = real[(block.kind, block.arg)]
            if differences(block.body, text):  # what only moves (timings, ids) is left as shown
                lines[block.fence_start + 1 : block.fence_end] = text.split("\n")
            if block.source is not None:
                src = (ROOT / block.arg).read_text(encoding="utf-8").rstrip("\n").split("\n")
                lines[block.source[0] + 1 : block.source[1]] = src
        new = "\n".join(lines) + "\n"
        if new != path.read_text(encoding="utf-8"):
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _report_timings(show: bool) -> None:
    if show:
        for (kind, arg), seconds in sorted(TIMINGS.items(), key=lambda kv: -kv[1]):
            print(f"{seconds:6.1f} s  [{kind}] {arg.splitlines()[0]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="report blocks whose output differs")
    mode.add_argument("--write", action="store_true", help="rerun and rewrite the blocks")
    parser.add_argument("pages", nargs="*", type=Path, help="pages (default: README + docs)")
    parser.add_argument("-k", dest="select", help="only blocks whose marker contains this text")
    parser.add_argument("--jobs", type=int, default=2, help="blocks run at once (default 2)")
    parser.add_argument("--timings", action="store_true", help="print each block's seconds")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.pages] or pages()
    blocks = [b for p in paths for b in parse(p)]
    if args.select:
        blocks = [b for b in blocks if args.select in b.arg]
    started = time.monotonic()
    if args.write:
        changed = write(blocks, args.jobs)
        _report_timings(args.timings)
        print(f"{len(TIMINGS)} blocks run; rewrote {', '.join(map(_rel, changed)) or 'nothing'}")
        return 0
    results = check(blocks, args.jobs)
    _report_timings(args.timings)
    bad = [r for r in results if r.problems]
    for r in bad:
        print(f"FAIL {r.block.label}")
        for p in r.problems:
            print("  " + p.replace("\n", "\n  "))
    print(
        f"{len(results) - len(bad)} of {len(results)} blocks agree "
        f"({time.monotonic() - started:.0f} s)"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
