"""The docs show what the commands print: every marked output block of README.md and docs/*.md
is rerun by docs/outputs.py and must agree with the real output (timings, dates, ids and ports
aside); the check itself fails on a tampered page. `make docs` builds the site (--strict)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("docs_outputs", ROOT / "docs" / "outputs.py")
assert _spec is not None and _spec.loader is not None
outputs = importlib.util.module_from_spec(_spec)
sys.modules["docs_outputs"] = outputs  # dataclasses look their module up while the class is built
_spec.loader.exec_module(outputs)


def all_blocks() -> list:
    return [b for page in outputs.pages() for b in outputs.parse(page)]


def test_every_kind_of_marker_is_used():
    kinds = [b.kind for b in all_blocks()]
    for kind in outputs.KINDS:
        assert kind in kinds, f"no {kind} block in README.md or docs/"


def _console_blocks(text: str) -> list[tuple[int, list[str]]]:
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            blocks.append((i, lines[i + 1 : j]))
            i = j
        i += 1
    return blocks


def test_every_shown_output_is_marked():
    """A console block that shows more than commands and comments is run or marked recorded."""
    unmarked = []
    for page in outputs.pages():
        lines = page.read_text(encoding="utf-8").splitlines()
        for start, body in _console_blocks("\n".join(lines)):
            shown, continued = [], False
            for line in body:
                if not (line.startswith(("$ ", "#")) or continued):
                    shown.append(line)
                continued = line.endswith("\\")
            if (
                shown
                and not lines[start - 1].startswith("<!-- output")
                and "-->" not in lines[start - 1]
            ):
                unmarked.append(f"{page.relative_to(ROOT)}:{start + 1}: {shown[0]!r}")
    assert not unmarked, "outputs shown without a marker:\n" + "\n".join(unmarked)


def test_readme_is_short_and_links_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in re.findall(r":\s*(\S+\.md)\s*$", nav, re.M):
        assert (ROOT / "docs" / page).is_file(), page
        assert f"(docs/{page})" in readme, f"README does not link docs/{page}"


def test_toml_examples_are_valid_settings(tmp_path: Path):
    from agent.settings import get_settings

    for page in outputs.pages():
        text = page.read_text(encoding="utf-8")
        for i, block in enumerate(re.findall(r"^```toml\n(.*?)^```", text, re.M | re.S)):
            path = tmp_path / f"{page.stem}-{i}.toml"
            path.write_text(block, encoding="utf-8")
            get_settings(config_file=path)  # raises on an unknown or out-of-range setting


def test_normalise_masks_only_what_may_move():
    n = outputs.normalise
    assert n("✓ descriptors: logp 1.31 (0.002 s)") == n("✓ descriptors: logp 1.31 (0.417 s)")
    assert n("thread 2dc4597bb6f44a34abdaae63c5f27a21") == n(
        "thread 0123456789abcdef0123456789abcdef"
    )
    assert n('"thread_id": "ce99765e59fd"') == n('"thread_id": "0123456789ab"')
    assert n('{"id":"batch_8b171de5ea2a448f9117"}') == n('{"id":"batch_0000aaaa1111bbbb2222"}')
    assert n("http://127.0.0.1:8000/v1") == n("http://127.0.0.1:41234/v1")
    assert n("created 2026-12-07T19:31:02Z in /tmp/cdx1/eval") == n(
        "created 2027-01-01 in /tmp/q/e"
    )
    assert n("in 938.99s (0:15:38)") == n("in 12.00s (0:00:12)")
    assert n('"seconds": 0.0002,') == n('"seconds": 1.5,')
    # what the reader came for stays
    assert n("molecular weight: 180.16 g/mol [2]") != n("molecular weight: 180.17 g/mol [2]")
    assert n("logp 1.31, tpsa 63.6") != n("logp 1.31, tpsa 63.7")
    assert n("807 passed") != n("808 passed")
    assert n("c1ccc2ccccc2c1 thread t1") != n("c1ccc2ccccc2c2 thread t1")


def test_rewrapped_text_agrees_and_changed_text_does_not():
    assert not outputs.differences(
        "P = 0.91 (model\nROC-AUC 0.73) (0.2 s)", "P = 0.91\n(model ROC-AUC 0.73) (10.2 s)"
    )
    assert outputs.differences("P = 0.91 (model\nROC-AUC 0.73)", "P = 0.91\n(model ROC-AUC 0.74)")


def test_normalise_masks_the_seconds_column_only():
    table = """┏━━━┳━━━━━━━━━━━━━┳━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
┃ # ┃ tool        ┃ ok ┃ s     ┃ result               ┃
┡━━━╇━━━━━━━━━━━━━╇━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
│ 4 │ descriptors │ ✓  │ {t} │ logp {logp}, tpsa 63.6 │
└───┴─────────────┴────┴───────┴──────────────────────┘"""
    n = outputs.normalise
    assert n(table.format(t="0.002", logp="1.31")) == n(table.format(t="1.234", logp="1.31"))
    assert n(table.format(t="0.002", logp="1.31")) != n(table.format(t="0.002", logp="1.32"))


# --- the real run: every block, once per module (about a minute on 2 cores) --------------------


@pytest.fixture(scope="module")
def results():
    return outputs.check(all_blocks(), jobs=2)


@pytest.mark.slow
def test_shown_outputs_agree_with_the_real_ones(results):
    bad = [r for r in results if r.problems]
    report = "\n".join(f"{r.block.label}\n  " + "\n  ".join(r.problems) for r in bad)
    assert not bad, f"{len(bad)} shown output(s) disagree; `python docs/outputs.py --write` " + (
        f"reruns them (recorded ones are updated by hand):\n{report}"
    )


def _tamper_a_figure(body: str) -> str:
    """Change one digit on a line that normalisation leaves alone (a real figure)."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("$ ") or outputs.normalise(line) != line.rstrip():
            continue
        if m := re.search(r"\d", line):
            digit = str((int(m.group()) + 1) % 10)
            lines[i] = line[: m.start()] + digit + line[m.end() :]
            return "\n".join(lines)
    raise ValueError("no figure to tamper with")


def _tampered_or_none(body: str) -> str | None:
    try:
        return _tamper_a_figure(body)
    except ValueError:
        return None


@pytest.mark.slow
def test_check_fails_on_a_tampered_page_and_only_there(results, tmp_path: Path):
    real = {(r.block.kind, r.block.arg): r.real for r in results if r.real is not None}
    for source in (ROOT / "docs" / "cli.md", ROOT / "docs" / "reactions.md"):
        text = source.read_text(encoding="utf-8")
        block, changed = next(
            (b, t)
            for b in outputs.parse(source)
            if b.kind != "output-recorded" and (t := _tampered_or_none(b.body)) is not None
        )
        copy = tmp_path / source.name
        copy.write_text(text.replace(block.body, changed, 1), "utf-8")
        tampered = next(b for b in outputs.parse(copy) if b.arg == block.arg)
        problems = outputs.check_block(tampered, real[(block.kind, block.arg)]).problems
        assert any("differs from the real one" in p for p in problems), source
        # a page whose only change is a timing or an id still agrees
        moved = re.sub(r"\((\d+\.\d+) s\)", "(9.999 s)", block.body)
        moved = re.sub(r"(thread )[0-9a-f]{12,32}", r"\g<1>0123456789ab", moved)
        copy.write_text(text.replace(block.body, moved, 1), "utf-8")
        again = next(b for b in outputs.parse(copy) if b.arg == block.arg)
        assert not outputs.check_block(again, real[(block.kind, block.arg)]).problems


@pytest.mark.slow
def test_check_fails_on_a_wrong_test_count(results):
    block = next(b for b in outputs.parse(ROOT / "README.md") if b.arg == "make test")
    n = int(re.search(r"(\d+) passed", block.body).group(1))
    block.body = block.body.replace(f"{n} passed", f"{n + 1} passed")
    assert any("collects" in p for p in outputs.verify_recorded(block))


@pytest.mark.slow
def test_outputs_script_exits_1_on_a_tampered_page(tmp_path: Path):
    source = ROOT / "docs" / "reactions.md"
    block = next(b for b in outputs.parse(source) if b.kind == "output-python")
    page = tmp_path / "reactions.md"
    text = source.read_text(encoding="utf-8")
    page.write_text(text.replace(block.body, _tamper_a_figure(block.body), 1), "utf-8")
    run = subprocess.run(
        [sys.executable, "docs/outputs.py", "--check", str(page), "-k", block.arg],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAIL" in run.stdout and block.arg in run.stdout
