"""Reading names and intent in any spelling: typo-bounded name matching and the word lists.

Every text is folded by `agent.safety.normalise` first, the same function that folded the stored
names (case, width, accents, invisible characters; look-alike letters and leetspeak in a second
view), so "S4R1N", "sarín", "ｓａｒｉｎ" and "sаrin" with a Cyrillic "а" all read "sarin". Names
are then matched whole, as runs of spelled-out letters ("s a r i n"), inside CJK, Arabic and Hebrew
text (written without spaces or with joined prefixes), at the start of a compound word
("Sarinherstellung"), or within a small number of typos. The typo bound is one edit for names of
five to eight letters and two above, with the first letter kept, and never for an ordinary word
listed in `safety_terms.toml` (satin, woman ...), so benign text does not match.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rapidfuzz.distance import OSA

from agent.safety.normalise import fold, tokens, unleet, views

# Scripts written without spaces (CJK) or with prefixes and particles joined to the word (Arabic
# al-, Hebrew ha-, Korean particles): their names are matched inside the text.
_JOINED = re.compile(
    r"[\u0590-\u06ff\u0750-\u077f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_LATIN_LIKE = re.compile(r"^[a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff-]+$")
PREFIX_MIN = 5  # a name this long also matches at the start of a compound word


def _key(name: str) -> str:
    return "".join(tokens(fold(name)))


_unleet = unleet


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
        self._prefixes: dict[str, str] = {}
        self._widest = 4
        for name in names:
            key = _key(name)
            if not key:
                continue
            if _JOINED.search(name):
                self._cjk[re.sub(r"\s+", "", fold(name))] = name
            elif len(key) <= 4 or any(ch.isdigit() for ch in key):
                # Short names and codes (HN1, A-230) match exactly: letters may be split by a
                # hyphen or dot (V-X), digits only by the hyphen the listed form has.
                parts = tokens(fold(name))
                if len(key) > 4:
                    body = r"\W{0,3}".join(re.escape(p) for p in parts)
                elif key.isalpha():
                    body = r"[-.]?".join(re.escape(ch) for ch in key)
                else:
                    body = "-?".join(re.escape(p) for p in parts)
                self._codes.append((re.compile(rf"(?<![\w-]){body}(?![\w-])"), name))
            else:
                parts = tokens(fold(name))
                self._widest = max(self._widest, len(parts))
                self._words.setdefault(len(parts), {})[key] = name
                self._parts[name] = parts
                if len(parts) == 1 and len(key) >= PREFIX_MIN and _LATIN_LIKE.match(key):
                    self._prefixes[key] = name

    def _windows(self, tokens: list[str]) -> list[tuple[int, str, str]]:
        """(width, joined, as written) for every run of tokens as long as a listed name, plus
        spelled-out letters."""
        out = []
        for i in range(len(tokens)):
            for width in range(1, self._widest + 1):
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
        hits: dict[str, NameHit] = {}
        for folded in views(text):
            self._find_in(folded, hits)
        return sorted(hits.values(), key=lambda h: not h.exact)

    def _find_in(self, folded: str, hits: dict[str, NameHit]) -> None:
        squeezed = re.sub(r"\s+", "", folded)
        for key, name in self._cjk.items():
            if key in squeezed:
                hits.setdefault(name, NameHit(name, key, True))
        for pattern, name in self._codes:
            if m := pattern.search(folded):
                hits.setdefault(name, NameHit(name, m.group(0), True))
        words = tokens(folded)
        windows = self._windows(words)
        bare = [_without_clitics(w) for w in words]
        if bare != words:  # Arabic and Hebrew write "and", "the", "to" onto the noun
            windows += self._windows(bare)
        for width, joined, written in windows:
            for names in self._words.values() if width == 0 else [self._words.get(width, {})]:
                if joined in names:
                    hits.setdefault(names[joined], NameHit(names[joined], written, True))
        for word in words:  # "sarinherstellung": a long name opening a compound word
            for key, name in self._prefixes.items():
                if (
                    len(word) > len(key)
                    and word.startswith(key)
                    and not any(len(w) > len(key) and word.startswith(w) for w in self.lookalikes)
                ):
                    hits.setdefault(name, NameHit(name, key, True))
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


# Prefixed particles of Arabic (wa-, fa-, bi-, li-, ka-, al-) and Hebrew (ha-, ve-, be-, le-,
# mi-, she-, ke-), longest first: "اللويزيت" is "لويزيت" with the article and "to".
_CLITICS = (
    "وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك",
    "וה", "שה", "ה", "ו", "ב", "ל", "מ", "ש", "כ",
)  # fmt: skip
_SEMITIC = re.compile(r"^[\u0590-\u06ff]")


def _without_clitics(word: str) -> str:
    """An Arabic or Hebrew word without its prefixed particles (at least three letters left)."""
    if not _SEMITIC.match(word):
        return word
    for clitic in _CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 3:
            return (
                _without_clitics(word[len(clitic) :])
                if clitic in ("و", "ف", "ו")
                else word[len(clitic) :]
            )
    return word


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


def direct_preparation(text: str) -> str | None:
    """A phrase that can only introduce a procedure ("to make", "prepared by", "Step 1"), or None."""
    m = _preparation()[0].search(fold(text))
    return m.group(0) if m else None
