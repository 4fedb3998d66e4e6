"""One spelling for characters people type many ways, before a question is read (pure).

Word processors and phones turn hyphens into dashes and quotes into curly ones; papers write
primes, superscripts and full-width forms. NFKC folds the compatibility forms (full-width
letters, superscript digits, ligatures); the rest are mapped here. SMILES are ASCII, so nothing
here changes one.
"""

from __future__ import annotations

import re
import unicodedata

_MAP = str.maketrans(
    {
        # hyphens, dashes and minus signs
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": " - ",
        "\u2015": " - ", "\u2212": "-", "\ufe63": "-", "\uff0d": "-",
        # quotes and primes
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": "''", "\u00b4": "'", "`": "'",
        "\u00ab": '"', "\u00bb": '"',
        # spaces that are not spaces; invisible characters
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u3000": " ",
        "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
        # multiplication and middle dots
        "\u00d7": "x", "\u2022": " ",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \t]+")


def normalise_question(text: str) -> str:
    """The question with dashes, quotes, primes, odd spaces and compatibility forms folded.

    Greek letters are kept (β-carotene is a name); "μ" (micro sign) becomes the Greek letter as
    NFKC does. Line breaks are kept: they separate requests.
    """
    folded = unicodedata.normalize("NFKC", text.translate(_MAP))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in folded.split("\n")).strip()
