"""One text normaliser for the safety screen, applied alike to the stored names and to every text
screened (questions, tool arguments, answers), so a stored word always matches itself.

Why each step is there:
- NFKC folds compatibility forms: full-width "ｓａｒｉｎ" and mathematical bold letters read as
  "sarin".
- Zero-width, bidirectional and other invisible format characters are removed, so "sa\\u200brin"
  and a right-to-left override do not split or reverse a name on screen but not in the text.
- Look-alike letters of other scripts inside a Latin word (Cyrillic "а" in "sаrin") are mapped to
  the Latin letter they imitate, from the Unicode confusables table (UTS #39) as shipped by the
  `confusable-homoglyphs` package (MIT; its `confusables.json` is generated from Unicode's
  `confusables.txt`). Only ASCII targets are used, and only in the `skeleton` view, so a Russian
  word stays Russian in the folded view.
- Accents are removed from Latin, Greek, Cyrillic, Arabic and Hebrew letters (optional marks
  there), but the vowel signs of Indic and other abugida scripts are letters of the word and are
  kept: stripping them on one side only is the bug that made every Hindi name unmatchable.
- Leetspeak ("s4r1n", "m|_|stard") is read as letters in tokens that mix letters and digits.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from functools import cache
from importlib import resources

# Invisible format characters: soft hyphen, Arabic letter mark, Hangul fillers, Mongolian
# vowel separator and free variation selectors, zero-width space/joiners and directional marks,
# bidi embeddings/overrides/isolates, word joiner and invisible operators, variation selectors,
# byte-order mark.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
)
_LEET_GROUPS = (("|_|", "u"), ("|\\/|", "m"), ("/\\", "a"), ("\\/", "v"))
# Scripts whose combining marks are optional accents (removed); marks of other scripts are
# vowel signs and stay part of the word.
_ACCENTED_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC", "ARABIC", "HEBREW")


def _mark_ranges() -> str:
    """A regex class body of every combining mark (Mn, Mc, Me) in the Basic Multilingual Plane,
    so a word of an abugida (Devanagari "सरीन") is one token, vowel signs included."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x0300, 0x10000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


WORD = re.compile(rf"[\w@${_mark_ranges()}]+")


def tokens(text: str) -> list[str]:
    """The words of an already folded text (letters, digits and their marks; underscores out)."""
    return [t.replace("_", "") for t in WORD.findall(text) if t.replace("_", "")]


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


def _strip_accents(text: str) -> str:
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) == "Mn" and base in _ACCENTED_SCRIPTS:
            continue
        if not unicodedata.category(ch).startswith("M"):
            base = _script(ch)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


_OVERRIDE = re.compile("\u202e([^\u202a-\u202e\n]*)(?:\u202c|$)", re.MULTILINE)


def visible(text: str) -> str:
    """NFKC with the invisible format characters removed (case kept): the text in logical
    order, as a model reads it. (`revealed` adds the order a reader sees.)"""
    text = unicodedata.normalize("NFKC", text)
    return _INVISIBLE.sub("", text)


_BASE64 = re.compile(r"(?<![\w+/])[A-Za-z0-9+/]{6,}={0,2}(?![\w+/=])")
_REVERSE = re.compile(
    r"revers|backwards?|back\s*to\s*front|right\s*to\s*left|rückwärts|umgekehrt|à\s*l.envers|"
    r"al\s*revés|invert|наоборот|задом"
)


def revealed(text: str) -> str:
    """The text with what it hides written out beside it: the order a right-to-left override
    shows, base64 tokens decoded, and, when the text asks to reverse something, every word
    reversed. A request for "the synthesis of
    c2FyaW4=" names sarin as surely as one that writes it."""
    extra: list[str] = []
    if (
        "\u202e" in text
    ):  # a right-to-left override shows its text reversed: "\u202eniras" reads sarin
        extra.append(_OVERRIDE.sub(lambda m: m.group(1)[::-1], text))
    for tok in _BASE64.findall(text):
        if len(tok) % 4 or len(tok) < 8:
            continue
        try:
            decoded = base64.b64decode(tok, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if decoded.isprintable() and sum(ch.isalpha() for ch in decoded) >= 3:
            extra.append(decoded)
    if _REVERSE.search(fold(text)):
        extra.extend(w[::-1] for w in tokens(fold(text)) if len(w) >= 4)
    return text if not extra else text + "\n" + " ".join(extra)


def fold(text: str) -> str:
    """Case-, width- and accent-blind form of `text`, scripts kept ("Зарин" -> "зарин")."""
    return _strip_accents(visible(text).casefold())


@cache
def confusables() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter or digit it imitates (Unicode confusables)."""
    raw = (resources.files("confusable_homoglyphs") / "confusables.json").read_text("utf-8")
    table: dict[str, str] = {}
    for char, glyphs in json.loads(raw).items():
        if len(char) != 1 or char.isascii():
            continue
        targets = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii()]
        letters = [t for t in targets if t.isalnum()]
        if letters:
            table[char] = letters[0]
    return table


def skeleton(text: str) -> str:
    """`visible(text)` with every look-alike of an ASCII letter replaced by that letter (case
    kept where the target has one): "sаrin" with a Cyrillic "а" -> "sarin"."""
    table = confusables()
    return "".join(table.get(ch, ch) for ch in visible(text))


def unleet(token: str) -> str:
    """The token with digits and @/$ read as letters, when it mixes them with letters."""
    if any(ch.isalpha() for ch in token) and any(not ch.isalpha() for ch in token):
        return token.translate(_LEET)
    return token


def leet_groups(text: str) -> str:
    """Multi-character leetspeak letters ("|_|" for u) replaced, before tokenising."""
    for group, letter in _LEET_GROUPS:
        text = text.replace(group, letter)
    return text


def views(text: str) -> list[str]:
    """The folded forms a name is looked for in: the text as written (scripts kept) and its
    Latin skeleton, each with multi-character leetspeak read."""
    folded = fold(leet_groups(text))
    skel = fold(leet_groups(skeleton(text)))
    return [folded] if skel == folded else [folded, skel]
