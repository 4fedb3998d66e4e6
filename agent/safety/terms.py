"""Reading names and intent in any spelling: folding, typo-bounded name matching, intent words.

Folding makes the comparison blind to case, accents, width forms and leetspeak ("S4R1N",
"sarín", "ｓａｒｉｎ" all fold to "sarin"); names are then matched whole, as runs of spelled-out
letters ("s a r i n"), inside CJK text, or within a small number of typos. The typo bound is one
edit for names of five to eight letters and two above, with the first letter kept, and never for
an ordinary word listed in `safety_terms.toml` (satin, woman ...), so benign text does not match.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rapidfuzz.distance import OSA

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_TOKEN = re.compile(r"[\w@$]+")
# Scripts written without spaces (CJK) or with prefixes joined to the word (Arabic al-, Hebrew
# ha-): their names are matched inside the text.
_CJK = re.compile(
    r"[\u0590-\u06ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def fold(text: str) -> str:
    """Lower case, compatibility forms (full-width letters), accents removed, zero-width gone."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff\u00ad]", "", text)
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def _key(name: str) -> str:
    return "".join(_TOKEN.findall(fold(name))).replace("_", "")


def _unleet(token: str) -> str:
    """The token with digits and @/$ read as letters, when it mixes them with letters."""
    if any(ch.isalpha() for ch in token) and any(not ch.isalpha() for ch in token):
        return token.translate(_LEET)
    return token


@dataclass(frozen=True)
class NameHit:
    """A listed name found in the text, and how it was written there."""

    name: str
    written: str
    exact: bool


class NameMatcher:
    """Finds listed names in text under folding, spacing tricks, scripts and bounded typos."""

    def __init__(self, names: list[str], lookalikes: set[str]) -> None:
        self.lookalikes = {fold(w) for w in lookalikes}
        self._cjk: dict[str, str] = {}
        self._codes: list[tuple[re.Pattern[str], str]] = []
        self._words: dict[int, dict[str, str]] = {}
        self._parts: dict[str, list[str]] = {}
        for name in names:
            key = _key(name)
            if not key:
                continue
            if _CJK.search(name):
                self._cjk[re.sub(r"\s+", "", fold(name))] = name
            elif len(key) <= 4 or any(ch.isdigit() for ch in key):
                # Codes (VX, HN1, A-230) match exactly: letters may be split by a hyphen or dot
                # (V-X), digits only by the hyphen the listed form has ("a 230 mL" is not A-230).
                parts = _TOKEN.findall(fold(name))
                if len(key) > 4:
                    body = r"\W{0,3}".join(re.escape(p) for p in parts)
                elif key.isalpha():  # VX, V-X, V.X
                    body = r"[-.]?".join(re.escape(ch) for ch in key)
                else:  # A-230, A230
                    body = "-?".join(re.escape(p) for p in parts)
                self._codes.append((re.compile(rf"(?<![\w-]){body}(?![\w-])"), name))
            else:
                parts = _TOKEN.findall(fold(name))
                self._words.setdefault(len(parts), {})[key] = name
                self._parts[name] = parts

    def _windows(self, tokens: list[str]) -> list[tuple[int, str, str]]:
        """(width, joined, as written) for every run of 1-4 tokens, plus spelled-out letters."""
        out = []
        for i in range(len(tokens)):
            for width in range(1, 5):
                if i + width > len(tokens):
                    break
                run = tokens[i : i + width]
                out.append((width, "".join(run), " ".join(run)))
                out.append((width, "".join(_unleet(t) for t in run), " ".join(run)))
        i = 0
        while i < len(tokens):  # "s a r i n", "sa rin": short pieces joined into one word
            j = i
            while j < len(tokens) and len(tokens[j]) <= 3:
                j += 1
            if j - i >= 2:
                for a in range(i, j):
                    for b in range(a + 2, j + 1):
                        joined = "".join(_unleet(t) for t in tokens[a:b])
                        out.append((0, joined, " ".join(tokens[a:b])))
            i = max(j, i + 1)
        return out

    def find(self, text: str) -> list[NameHit]:
        """Every listed name in `text` (each once), exact matches first."""
        folded = fold(text)
        hits: dict[str, NameHit] = {}
        squeezed = re.sub(r"\s+", "", folded)
        for key, name in self._cjk.items():
            if key in squeezed:
                hits.setdefault(name, NameHit(name, key, True))
        for pattern, name in self._codes:
            if m := pattern.search(folded):
                hits.setdefault(name, NameHit(name, m.group(0), True))
        tokens = [t.replace("_", "") for t in _TOKEN.findall(folded)]
        windows = self._windows(tokens)
        for width, joined, written in windows:
            for names in self._words.values() if width == 0 else [self._words.get(width, {})]:
                if joined in names:
                    hits.setdefault(names[joined], NameHit(names[joined], written, True))
        for width, joined, written in windows:
            if width == 0 or joined in self.lookalikes or written in self.lookalikes:
                continue
            for key, name in self._words.get(width, {}).items():
                if name in hits:
                    continue
                parts = self._parts[name]
                near = _near(joined, key) if width == 1 else _near_words(written.split(), parts)
                if near:
                    hits[name] = NameHit(name, written, False)
        return sorted(hits.values(), key=lambda h: not h.exact)


def _near(word: str, key: str) -> bool:
    """Within the typo bound: first letter kept, one edit (two for long names)."""
    if len(key) < 5 or not word or word[0] != key[0] or abs(len(word) - len(key)) > 2:
        return False
    bound = 1 if len(key) <= 8 else 2
    return OSA.distance(word, key, score_cutoff=bound) <= bound


def _near_words(words: list[str], parts: list[str]) -> bool:
    """A multi-word name with typos: short words exact, long ones one edit each, two in all."""
    edits = 0
    for word, part in zip(words, parts, strict=True):
        word = _unleet(word)
        if word == part:
            continue
        if len(part) <= 3 or word[:1] != part[:1]:
            return False
        d = OSA.distance(word, part, score_cutoff=1)
        if d > 1:
            return False
        edits += d
    return 0 < edits <= 2


@cache
def terms() -> dict[str, Any]:
    """The bundled `safety_terms.toml`."""
    raw = (resources.files("agent.data") / "safety_terms.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


@cache
def production_pattern() -> re.Pattern[str]:
    """Any production or acquisition wording, in every language the terms list."""
    patterns = [p for group in terms()["production"].values() for p in group]
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def asks_to_make(text: str) -> str | None:
    """The words of `text` that ask how to make or obtain something, or None."""
    m = production_pattern().search(fold(text))
    return m.group(0) if m else None


@cache
def _preparation() -> tuple[re.Pattern[str], list[re.Pattern[str]]]:
    prep = terms()["preparation"]
    direct = re.compile("|".join(f"(?:{p})" for p in prep["direct"]))
    return direct, [re.compile(p) for p in prep["operations"]]


def preparation_words(text: str) -> list[str]:
    """Wording of a procedure in `text`: one direct phrase, or every operation word found."""
    folded = fold(text)
    direct, operations = _preparation()
    if m := direct.search(folded):
        return [m.group(0)]
    found = [m.group(0) for p in operations if (m := p.search(folded))]
    return found if len(found) >= 2 else []
