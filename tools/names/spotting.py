"""Which of the index's names may be spotted in free text, and how text is cut into word runs.

Looking a name up when the planner already has it ("the molecular weight of salt") is one thing;
finding names in a question by trying every run of words is another. PubChem's synonyms include
ordinary English words by the hundred ("good", "today", "control", "lead", "salt", "spirit":
trade names and old names), so a name found that way must not be an ordinary word:

- a single word is spotted only if its frequency in English (the `wordfreq` package's Zipf scale,
  read once when the index is built) is below a bound that depends on how far its source can be
  trusted: 4.5 for a drug's own name in DrugCentral or the drug dictionary (so "fentanyl" and
  "cocaine" are spotted, "gold" is not), 3.0 for PubChem common and IUPAC names and the
  dictionary's brand names ("menthol", "Zoloft"; not "release", "halt" or "Xanax"), 2.0 for
  PubChem's other synonyms ("limonene"; not "spirit" or "outfox"), which are also at least six
  letters long;
- a name of several words is spotted only if one of its words is not an ordinary word (below 4.0;
  below 2.5 for PubChem synonyms): "sodium chloride", "oleic acid", not "table salt";
- element names are never spotted from the index ("count the carbon atoms" names no molecule);
  nor are names shorter than four letters, or with locants, which OPSIN reads exactly; nor names
  whose structures are all ions or radicals (`plain_molecule`: "an aryl bromide"); nor single
  words that name a class or group of compounds ("the lactone ring", "a sulfoxide", "the
  chloroethyl group": `sources.CLASS_WORDS` and substituent names ending in -yl).

Measured on the index's names: `tests/test_name_index.py` checks ordinary questions spot nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from enum import IntEnum

from tools.names.sources import SYSTEMATIC, class_word


class Trust(IntEnum):
    """How far a source's name can be trusted to be a compound's name and nothing else."""

    DRUG_NAME = 0  # a drug's own name in DrugCentral or the drug dictionary
    NAME = 1  # a PubChem common or IUPAC name; a brand name in the drug dictionary
    SYNONYM = 2  # one of PubChem's other synonyms


# Highest Zipf frequency (log10 of uses per billion words) a spotted name may have.
SINGLE_WORD_BOUND = {Trust.DRUG_NAME: 4.5, Trust.NAME: 3.0, Trust.SYNONYM: 2.0}
# In a name of several words, one word at least must be below this.
RARE_WORD_BOUND = {Trust.DRUG_NAME: 4.0, Trust.NAME: 4.0, Trust.SYNONYM: 2.5}
MIN_SYNONYM_LETTERS = 6
MIN_LETTERS = 4
MAX_WORDS = 5

# Element names, British and American spellings: RDKit's table gives the IUPAC ones.
_EXTRA_ELEMENTS = ("aluminum", "sulphur", "cesium", "wolfram", "natrium", "kalium")

# A word of a name in running text: letters, digits, hyphens and apostrophes ("N-acetyl...").
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")
# A whitespace-separated token, with quotes, brackets and punctuation around it stripped.
_TOKEN = re.compile(r"(?<!\S)[\"'(]*([^\s\[\]]+?)[\"'.,;:?!)]*(?!\S)")


def element_names() -> frozenset[str]:
    """Every element's name, lowercase."""
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    names = {table.GetElementName(z).lower() for z in range(1, 119)}
    return frozenset(names | set(_EXTRA_ELEMENTS))


def english_zipf() -> Callable[[str], float]:
    """Zipf frequency of a lowercase word in English (0 for words the list does not have), from
    wordfreq's large English list; loaded in a fifth of a second, only when the index is built."""
    import wordfreq

    freq = wordfreq.get_frequency_dict("en", wordlist="large")

    def zipf(word: str) -> float:
        f = freq.get(word)
        return math.log10(f) + 9 if f else 0.0

    return zipf


_CHARGE = re.compile(r"\[[^\]]*?([+-]+)(\d*)\]")
_RADICAL = re.compile(r"\[(?:C|N|O|B|S|P|c|n|o|s)\]")


def plain_molecule(smiles: str) -> bool:
    """Whether a structure is a neutral molecule (or a neutral salt) rather than an ion or a
    radical: names of ions and radicals ("bromide", "carbamate", "tert-butyl") are mostly
    class words in running text ("an aryl bromide"), so they are looked up but not spotted.
    Read from the SMILES text: a charge or a bare bracketed atom is enough to tell."""
    charge = 0
    for signs, count in _CHARGE.findall(smiles):
        sign = 1 if signs[0] == "+" else -1
        charge += sign * (int(count) if count else len(signs))
    return charge == 0 and not _RADICAL.search(smiles)


def spottable(
    key: str, trust: Trust, zipf: Callable[[str], float], elements: frozenset[str]
) -> bool:
    """Whether a name (lowercase, single-spaced) may be spotted in running text: see above."""
    words = key.split(" ")
    if (
        len(words) > MAX_WORDS
        or len(key.replace(" ", "")) < MIN_LETTERS
        or key in elements
        or SYSTEMATIC.search(key)
        or not all(WORD.fullmatch(w) for w in words)
        or not any(ch.isalpha() for ch in key)
    ):
        return False
    if len(words) == 1:
        if class_word(key):  # "lactone", "sulfoxide"
            return False
        if key.endswith("yl") and trust is not Trust.DRUG_NAME:  # "chloroethyl"; not fentanyl
            return False
        if trust is Trust.SYNONYM and len(key) < MIN_SYNONYM_LETTERS:
            return False
        return zipf(key) < SINGLE_WORD_BOUND[trust]
    return any(zipf(w) < RARE_WORD_BOUND[trust] for w in words)


def word_spans(text: str) -> list[list[tuple[int, int]]]:
    """Runs of consecutive words (start, end) that names may span; anything else between two
    words (a SMILES, a bracketed formula) ends a run."""
    runs: list[list[tuple[int, int]]] = [[]]
    for m in _TOKEN.finditer(text):
        if WORD.fullmatch(m.group(1)):
            runs[-1].append((m.start(1), m.end(1)))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def ngrams(text: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of every run of one to five words, longest first at each start."""
    out: list[tuple[int, int, str]] = []
    for run in word_spans(text):
        for i in range(len(run)):
            for n in range(min(MAX_WORDS, len(run) - i), 0, -1):
                a, b = run[i][0], run[i + n - 1][1]
                key = " ".join(text[a:b].lower().split())
                if len(key) >= MIN_LETTERS:
                    out.append((a, b, key))
    return out


def longest_matches(grams: list[tuple[int, int, str]], known: set[str]) -> list[tuple[int, int]]:
    """Left to right, the longest known name at each point; names never overlap."""
    out: list[tuple[int, int]] = []
    end = -1
    for a, b, key in sorted(grams, key=lambda g: (g[0], -g[1])):
        if a >= end and key in known:
            out.append((a, b))
            end = b
    return out
