"""Whether a question is understood, as a whole, to be harmless: the allowlist that decides what
is answered once a Schedule 1 chemical is named in a thread.

The decision is made by what is known, not by what is feared: a question is understood when
every clause has a topic of the allowlist (toxicology, mechanism, treatment, detection, history,
regulation, destruction, or a property the rule planner computes) and every word of it is known
(a topic or filler word, a number or unit, a harmless frame such as "what makes ... toxic", or
the name of a chemical it mentions). One unknown word is enough to refuse: a production request
in words no list holds ("which stabilisers keep it from degrading", "the villain's amounts") is
refused because those words are not on the allowlist, not because they are on a list of harmful
ones. The production wording of `safety_terms.toml` is checked last only to say why, and as a
second lock on frames. Data: `agent/data/safety_allowlist.toml`.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from agent.safety.normalise import fold, tokens
from agent.safety.terms import production_pattern

logger = logging.getLogger(__name__)

_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CLAUSE = re.compile(
    r"[.;?!\n。？！；]+\s*|,\s*|，|、|\s+(?:and|or|then|also|plus|but|und|et|y|e|и)\s+|\s+-\s+"
)
_NUMBER = re.compile(r"^[\d.,]+[a-zµ%°/]*$")
ANCHOR = "\u2691"  # stands in for a frame or a property phrase once consumed


@dataclass(frozen=True)
class Verdict:
    """Whether the question was understood as harmless, and if not, why (for the log)."""

    harmless: bool
    reason: str = ""


class _Words:
    """A set of exact words and of stems (entries ending in '*')."""

    def __init__(self, entries: list[str]) -> None:
        folded = [fold(e) for e in entries]
        self.exact = {e for e in folded if not e.endswith("*")}
        self.stems = tuple(e[:-1] for e in folded if e.endswith("*"))

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and (word in self.exact or word.startswith(self.stems))


@cache
def _data() -> dict[str, Any]:
    raw = (resources.files("agent.data") / "safety_allowlist.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


class Allowlist:
    """The harmless questions about a scheduled chemical, from `safety_allowlist.toml` and the
    rule planner's property intents (agent/intents.py, read only)."""

    def __init__(self) -> None:
        data = _data()
        topics = data["topics"]
        fillers = data["filler"]
        self.cjk_topics = sorted(topics["cjk"], key=len, reverse=True)
        self.cjk_filler = sorted(fillers["cjk"], key=len, reverse=True)
        self.topics = _Words([w for k, v in topics.items() if k != "cjk" for w in v])
        self.filler = _Words([w for k, v in fillers.items() if k != "cjk" for w in v])
        self.frames = [re.compile(p) for p in data["frames"]]
        self.property_tools = set(data["property_tools"])
        self.foreign_topics = [fold(t) for t in data["foreign"]["topics"]]
        self.foreign_requests = [fold(r) for r in data["foreign"]["requests"]]
        self.english_words = _Words(
            [*topics_en(topics), *fillers.get("en", []), *fillers.get("units", [])]
        )
        self.unavailable_ok = set(data["unavailable_ok"])
        self.harm = [re.compile(p) for p in data["harm"]["patterns"]]
        self._typo_targets = {w for w in self.topics.exact if len(w) >= TYPO_MIN}

    @property
    def intent_patterns(self) -> list[re.Pattern[str]]:
        """Phrases of the planner's property intents and harmless unavailable requests."""
        from agent.intents import vocabulary

        vocab = vocabulary()
        found = [i.pattern for i in vocab.intents if i.tool in self.property_tools]
        found += [u.pattern for u in vocab.unavailable if u.name in self.unavailable_ok]
        return found

    def judge(self, question: str, mentioned: set[str]) -> Verdict:
        """Whether `question` is understood as harmless; `mentioned` are the folded words of
        the chemicals it names (agents, and molecules the planner found), set aside.

        Words first: every clause made of known words, one of them a topic. A clause with
        words the lists do not hold is judged by meaning (`meaning_verdict`): answered only
        when it is clearly nearer a harmless example question than any request, else refused."""
        text = fold(question)
        for pattern in self.harm:
            if m := pattern.search(text):
                return Verdict(False, f"asks to harm or to increase harm ({m.group(0)!r})")
        for pattern in [*self.frames, *self.intent_patterns]:
            text = pattern.sub(f" {ANCHOR} ", text)
        if m := production_pattern().search(text):
            return Verdict(False, f"asks for production or use ({m.group(0)!r})")
        names = proper_names(question)
        clauses = [c for c in _CLAUSE.split(text) if c.strip()]
        # the same clauses as written (frames and property phrases not yet replaced), for meaning
        written = [c for c in _CLAUSE.split(fold(question)) if c.strip()]
        if len(written) != len(clauses):
            written = [c.replace(ANCHOR, " ") for c in clauses]
        anchors = 0
        unknown: list[tuple[str, Verdict]] = []
        for clause, as_written in zip(clauses, written, strict=True):
            verdict, anchored = self._clause(clause, mentioned, names)
            if verdict.harmless and anchored and names & set(tokens(clause)):
                verdict = self.named_verdict(as_written, mentioned, names)
            if not verdict.harmless:
                unknown.append((as_written, verdict))
            anchors += anchored
        if not unknown and anchors:
            return Verdict(True)
        first = unknown[0][1] if unknown else None
        if not self.english(text):
            return self.foreign_verdict(text, first)
        # each clause the words did not read must be harmless by meaning on its own: "toxicity
        # of X; also the precursors" is two requests, and the second decides
        for clause, verdict in unknown or [(text, Verdict(False, "no harmless topic understood"))]:
            judged = self.meaning_verdict(clause, mentioned, verdict)
            if not judged.harmless:
                return judged
        return Verdict(True)

    def named_verdict(self, clause: str, mentioned: set[str], names: frozenset[str]) -> Verdict:
        """A clause read only thanks to capitalised words taken as names: its names replaced
        by "Smith", it must not be nearer a request example than a harmless one, so capitals
        never turn request words into names ("which Additives Keep X potent")."""
        text = fold(clause)
        for name in sorted(mentioned, key=len, reverse=True):
            if len(name) >= 2:
                text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "X", text)
        for name in names:
            text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "Smith", text)
        try:
            harmless, request = meaning_scores(text.replace(ANCHOR, " "))
        except Exception as exc:  # no embedder: names are not taken
            logger.warning("safety screen cannot judge names by meaning: %s", exc)
            return Verdict(False, "names not judged")
        if request >= harmless:
            return Verdict(
                False, f"names; by meaning harmless {harmless:.2f} vs request {request:.2f}"
            )
        return Verdict(True)

    def english(self, folded: str) -> bool:
        """Whether most words of a folded text are English words the lists know."""
        words = [w for w in tokens(folded) if not _NUMBER.match(w)]
        if not words or _CJK_CHAR.search(folded):
            return not words
        known = sum(1 for w in words if w in self.english_words)
        return known >= 0.5 * len(words)

    def foreign_verdict(self, folded: str, by_words: Verdict | None) -> Verdict:
        """A question in a language neither the word lists nor the embedder read: harmless only
        with a topic of `[foreign] topics` and no request marker of `[foreign] requests`."""
        refused = by_words or Verdict(False, "no harmless topic understood")
        if hit := next((r for r in self.foreign_requests if r in folded), None):
            return Verdict(False, f"{refused.reason}; asks {hit!r}")
        if any(t in folded for t in self.foreign_topics):
            return Verdict(True)
        return refused

    def meaning_verdict(
        self, question: str, mentioned: set[str], by_words: Verdict | None
    ) -> Verdict:
        """The whole question by meaning, its chemicals' names replaced by "X" (see
        `agent/data/safety_meaning.toml`). Latin script only: the embedder reads English."""
        refused = by_words or Verdict(False, "no harmless topic understood")
        text = fold(question)
        if _CJK_CHAR.search(text) or not re.search(r"[a-z]{3,}", text):
            return refused
        if re.search(r"[^\x00-\x7f\u00c0-\u024f\u2691]", text):
            return refused  # another script beside Latin: not read by meaning
        for name in sorted(mentioned, key=len, reverse=True):
            if len(name) >= 2:
                text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "X", text)
        try:
            harmless, request = meaning_scores(text)
        except Exception as exc:  # no embedder: the words alone decide
            logger.warning("safety screen cannot judge by meaning: %s", exc)
            return refused
        if harmless >= MEANING_MIN and harmless - request >= MEANING_MARGIN:
            return Verdict(True)
        return Verdict(
            False,
            f"{refused.reason}; by meaning harmless {harmless:.2f} vs request {request:.2f}",
        )

    def _clause(
        self, clause: str, mentioned: set[str], names: frozenset[str] = frozenset()
    ) -> tuple[Verdict, bool]:
        """A clause is understood when every word is known; it may hold no topic itself
        ("..., and soman?"), but the question as a whole must (checked by `judge`). Proper
        names (`proper_names`) are known only in a clause that has a topic of its own, so a
        name never makes a clause harmless by itself; a topic word misspelt by one letter
        ("simptoms") is read as that topic (`typo_topic`)."""
        named = False
        anchored = ANCHOR in clause
        if _CJK_CHAR.search(clause):
            clause, found = self._cjk(clause, mentioned)
            anchored = anchored or found
            if leftover := _CJK_CHAR.findall(clause):
                return Verdict(False, f"not understood: {''.join(leftover)[:20]!r}"), False
        for word in tokens(clause.replace(ANCHOR, " ")):
            if word in mentioned or _NUMBER.match(word):
                continue
            if word not in self.topics and word not in self.filler:
                # A compound opening with a name ("Sarinvergiftung"): the rest is judged.
                word = next((word[len(m) :] for m in mentioned if _opens(word, m)), word)
            if word in self.topics or self.typo_topic(word):
                anchored = True
            elif word in names:
                named = True
            elif word not in self.filler:
                return Verdict(False, f"not understood: {word!r}"), False
        if named and not anchored:
            return Verdict(False, "a name without a topic"), False
        return Verdict(True), anchored

    def typo_topic(self, word: str) -> bool:
        """Whether `word` is a topic word of at least `TYPO_MIN` letters with one letter
        wrong, missing, extra or swapped ("poisening", "simptoms"): people misspell the words
        of harmless questions. Only topic words (not filler) are corrected, and only long ones,
        so a short request word is never read as a topic."""
        if len(word) < TYPO_MIN or not word.isalpha() or not word.isascii():
            return False
        letters = "abcdefghijklmnopqrstuvwxyz"
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        edits = {a + b[1:] for a, b in splits if b}
        edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
        edits |= {a + c + b for a, b in splits for c in letters}
        edits.discard(word)
        stems = [s for s in self.topics.stems if len(s) >= TYPO_MIN - 1]
        # a stem only with a short ending ("poison" + "ing"), so a long word is not read as a
        # stem it merely shares letters with ("concentrated" is not "concern...")
        return any(
            e in self._typo_targets or any(e.startswith(s) and len(e) - len(s) <= 4 for s in stems)
            for e in edits
        )

    def _cjk(self, clause: str, mentioned: set[str]) -> tuple[str, bool]:
        """Chinese, Japanese and Korean words removed from the clause (matched inside the text):
        mentioned names, then topics, then particles; what is left is not understood."""
        for name in sorted((m for m in mentioned if _CJK_CHAR.search(m)), key=len, reverse=True):
            clause = clause.replace(name, " ")
        found = False
        for word in self.cjk_topics:
            if word in clause:
                clause, found = clause.replace(word, " "), True
        for word in self.cjk_filler:
            clause = clause.replace(word, " ")
        return clause, found


TYPO_MIN = 6  # the shortest topic word read through a one-letter misspelling

_NAME = re.compile(r"(?<![\w'’-])[A-Z][a-z]+(?:[-'’][A-Za-z]+)*(?![\w'’-])")
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s+|[\"(«“]\s*)$")


def proper_names(question: str) -> frozenset[str]:
    """The folded words written as names inside an English sentence ("Gerhard Schrader",
    "Salisbury", "Kuala Lumpur"): capitalised, not opening a sentence. People, places and
    organisations are not on any word list, yet questions about history and events name them.
    A question written in Title Case ("How To Keep Sarin Potent") has no names by this rule:
    when more than two and more than a third of its words after the first are capitalised,
    none is taken (and a clause read thanks to names is checked by meaning: `named_verdict`)."""
    words = re.findall(r"[^\W\d_]+", question)
    if len(words) < 3:
        return frozenset()
    found = [
        m.group(0)
        for m in _NAME.finditer(question)
        if not _SENTENCE_START.search(question[: m.start()])
    ]
    capitalised = sum(1 for w in words[1:] if w[:1].isupper() and not w.isupper())
    if capitalised > max(2, (len(words) - 1) / 3):
        return frozenset()
    return frozenset(w for n in found for w in tokens(fold(n)))


# Cosine similarity (all-MiniLM-L6-v2): the nearest harmless example must be this close, and
# this much closer than the nearest request example. Set on the building set's benign questions
# and the project's own red-team development set; checked on the held-out sets.
MEANING_MIN = 0.55
MEANING_MARGIN = 0.10


@cache
def _meaning_examples() -> tuple[Any, Any]:
    from tools.literature.embeddings import bundled_embedder

    raw = tomllib.loads(
        (resources.files("agent.data") / "safety_meaning.toml").read_text(encoding="utf-8")
    )
    embedder = bundled_embedder()
    return embedder.encode(raw["harmless"]), embedder.encode(raw["request"])


def meaning_scores(text: str) -> tuple[float, float]:
    """(nearest harmless example, nearest request example) cosine similarity of `text`."""
    from tools.literature.embeddings import bundled_embedder

    harmless, request = _meaning_examples()
    query = bundled_embedder().encode([text])[0]
    return float((harmless @ query).max()), float((request @ query).max())


def topics_en(topics: dict[str, list[str]]) -> list[str]:
    """The English topic words (the lists named by topic, not by language)."""
    languages = {"de", "fr", "es", "it", "pt", "ru", "cjk"}
    return [w for k, v in topics.items() if k not in languages for w in v]


def _opens(word: str, name: str) -> bool:
    return len(name) >= 5 and len(word) > len(name) and word.startswith(name)


@cache
def allowlist() -> Allowlist:
    """The bundled allowlist."""
    return Allowlist()
