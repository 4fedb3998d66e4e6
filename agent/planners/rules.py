"""A planner that needs no LLM: intents from the data table, molecules from the question.

`plan` is idempotent: it works out every call the question needs given what is already known,
and returns the ones not made yet. Names are resolved first (one round), every other call
follows (next round); when nothing new is needed the plan is done.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from agent.intents import Intent, Unavailable, Vocabulary, vocabulary
from agent.planners.base import PlanContext
from agent.planners.compare import Comparison, find_comparison, is_follow_up
from agent.planners.meaning import IntentMatcher
from agent.planners.normalise import normalise_question
from agent.planners.parse import (
    Clause,
    Mention,
    find_group,
    find_mentions,
    find_unlisted_names,
    mask,
    reactions_named,
    split_clauses,
)
from agent.planners.references import (
    CLASS_GROUPS,
    DerivativeAsk,
    Reference,
    find_derivatives,
    find_references,
)
from agent.planners.spans import (
    STOPWORDS,
    candidate_spans,
    everyday_word,
    list_members,
    unfamiliar_name,
    words,
)
from agent.state import Evidence, MoleculeRef, Plan, ToolCall
from tools.chem.amounts import find_quantity
from tools.chem.descriptors import DESCRIPTOR_NAMES
from tools.chem.mol import ChemLimits
from tools.literature.words import content_words
from tools.names.table import NameTable, Resolution, builtin_table
from tools.predict.units import units_in

# Names -> structures without the network (table, drug dictionary, cache, OPSIN); None = unknown.
OfflineNames = Callable[[list[str]], list[Resolution | None]]

LITERATURE_PASSAGES = 5
LITERATURE_TOOLS = ("search_literature", "search_literature_by_structure")
# A literature question about where a molecule is written, rather than about a topic: "papers
# that mention X", "which papers refer to X", "papers on compounds similar to X".
_MENTIONING = re.compile(
    r"\bmention\w*|\brefer\w*\s+to\b|\bsimilar\s+to\b|\bwhich\s+(?:papers|passages|"
    r"studies|publications)\s+(?:use|name|discuss|report)\b",
    re.IGNORECASE,
)
_CONTAINING = re.compile(r"\b(?:contain\w*|bearing|with\s+an?)\b|\bsubstructure\b", re.IGNORECASE)
IMAGE_TOOL = "recognize_structure"
NO_MOLECULE = (
    "I found no molecule in the question. Give a SMILES (e.g. CC(=O)Oc1ccccc1C(=O)O), "
    "a CAS number or a common name (e.g. aspirin, caffeine)."
)


@dataclass(frozen=True)
class Subject:
    """A molecule a clause is about; `smiles` is None until its name is resolved."""

    label: str
    smiles: str | None
    failed: bool = False
    source: str | None = None


class _Calls:
    """Desired calls, merged by (tool, args) so focus fields of several intents add up.

    A list argument named in `MERGED_LISTS` (the descriptors a call computes) is left out of the
    identity and united instead, so "logP and TPSA of X" is one call computing just those two.
    """

    MERGED_LISTS = {"descriptors": "names"}

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], ToolCall] = {}

    def add(
        self,
        tool: str,
        args: dict[str, Any],
        label: str | None = None,
        focus: tuple[str, ...] = (),
        labels: dict[str, str] | None = None,
    ) -> None:
        merged = self.MERGED_LISTS.get(tool)
        identity = {k: v for k, v in args.items() if k != merged}
        key = (tool, json.dumps(identity, sort_keys=True))
        old = self.by_key.get(key)
        if old is None:
            self.by_key[key] = ToolCall(
                id="", tool=tool, args=args, label=label, focus=list(focus), labels=labels or {}
            )
            return
        old.focus.extend(f for f in focus if f not in old.focus)
        if merged and merged in args:
            old.args[merged] = list(dict.fromkeys([*old.args.get(merged, []), *args[merged]]))
        if label and old.label:
            old.label = _join_labels(old.label, label)


class RulePlanner:
    """Plans RDKit and name-resolution calls from phrases and molecules found in the question."""

    def __init__(
        self,
        names: NameTable | None = None,
        limits: ChemLimits | None = None,
        vocab: Vocabulary | None = None,
        offline: OfflineNames | None = None,
    ) -> None:
        self.names = names or builtin_table()
        self.limits = limits or ChemLimits()
        self.vocab = vocab or vocabulary()
        self.offline = offline
        self.meaning = IntentMatcher(self.vocab)
        # `plan` runs once per round on the same question: parse it (SMILES included) once.
        self.analyse = lru_cache(maxsize=64)(self._analyse_question)

    def _blocked(self, question: str) -> list[tuple[int, int]]:
        """Spans that are never a molecule name: how to write the answer ("as a list of
        tuples"), the element of an atom count ("carbon" in "count the carbon atoms"), words
        pointing back into the thread ("the second one") and derivatives ("its methyl ester")."""
        spans: list[tuple[int, int]] = []
        if self.vocab.formats is not None:
            spans += [m.span() for m in self.vocab.formats.finditer(question)]
        for intent in self.vocab.intents:
            if intent.masks:
                spans += [m.span() for m in intent.pattern.finditer(question)]
        spans += [(r.start, r.end) for r in find_references(question)]
        spans += [(d.start, d.end) for d in find_derivatives(question)]
        return spans

    def _analyse_question(self, question: str) -> tuple[list[Mention], list[Clause]]:
        question = normalise_question(question)
        blocked = self._blocked(question)

        def inside_blocked(m: Mention) -> bool:
            return m.kind == "name" and any(a <= m.start and m.end <= b for a, b in blocked)

        mentions = [
            m for m in find_mentions(question, self.names, self.limits) if not inside_blocked(m)
        ]
        clauses = split_clauses(question, mentions, self.vocab)
        for clause in clauses:  # an amount to convert needs a quantity ("500 mg of X")
            if find_quantity(clause.text) is None:
                clause.intents = [(i, h) for i, h in clause.intents if i.tool != "convert_amount"]
        unlisted = [
            m
            for clause in clauses
            for m in find_unlisted_names(clause)
            if not any(a < m.end and m.start < b for a, b in blocked)
            and not (" " not in m.text and everyday_word(m.text))  # "which of the three"
        ]
        found, replaced = self._spotted(question, mentions, unlisted, blocked)
        found += self._stray_names(clauses, [*mentions, *found], blocked)
        if replaced:  # a dictionary word inside a longer systematic name is part of that name
            mentions = [m for m in mentions if m not in replaced]
            for clause in clauses:
                clause.mentions = [m for m in clause.mentions if m not in replaced]
        for m in found:
            mentions.append(m)
            home = next((c for c in clauses if c.start <= m.start < c.end), None)
            if home is not None:
                home.mentions.append(m)
                home.mentions.sort(key=lambda x: x.start)
                home.reactions = reactions_named(
                    mask(home.text, home.start, home.mentions), home.mentions, self.vocab
                )
        return sorted(mentions, key=lambda m: m.start), _attach_topics(question, clauses)

    @cached_property
    def _group_words(self) -> frozenset[str]:
        """Words of the intents, functional groups and named reactions ("hydroxyl",
        "carboxylic", "esterification"): chemistry, but never the name of a molecule."""
        names = [*self.vocab.groups, *(r.name for r in self.vocab.reactions)]
        found = {w for n in names for w in re.findall(r"[a-z]+", n.lower())}
        return frozenset(found | set(self.vocab.words))

    def _stray_names(
        self, clauses: list[Clause], known: list[Mention], blocked: list[tuple[int, int]]
    ) -> list[Mention]:
        """Capitalised words no dictionary reads in a clause that asks for something ("Is
        Zorbitol heavier than caffeine?"), and lowercase words that read as compound names
        nobody listed ("the pKa of zorbitrexin", `unfamiliar_name`) in any clause but a
        literature question: taken as names, so the resolver's failure is reported rather than
        the molecule dropped. Question and intent words, method names ("Crippen") and a
        clause's first capitalised word are not."""
        taken = [(m.start, m.end) for m in known] + blocked
        out: list[Mention] = []
        for clause in clauses:
            asks = (
                clause.intents
                or clause.missing
                or any(
                    w in self.vocab.words
                    for w in re.findall(r"[a-z]+er\b|[a-z]+est\b", clause.text.lower())
                )
            )
            if any(i.kind == "literature" for i, _ in clause.intents):
                continue  # a literature question's words are its topic, not molecules
            for i, (a, b, word) in enumerate(words(clause.text)):
                start, end = clause.start + a, clause.start + b
                lower = word.lower()
                if (
                    lower in self.vocab.overview_words
                    or lower in self.vocab.not_names
                    or any(s < end and start < e for s, e in taken)
                ):
                    continue
                if word == lower:
                    name = unfamiliar_name(word) and lower not in self._group_words
                else:
                    name = (
                        bool(asks)
                        and i > 0
                        and len(word) >= 4
                        and word[0].isupper()
                        and sum(ch.isupper() for ch in word) <= 1  # acronyms: MOFs, COVID
                        and re.fullmatch(r"[A-Za-z][A-Za-z0-9'\-]*", word) is not None
                        and lower not in STOPWORDS
                        and lower not in self.vocab.words
                        and not clause.text[:a].rstrip().endswith((".", "?", "!", ":"))
                    )
                if name:
                    out.append(Mention(start, end, word, "name"))
                    taken.append((start, end))
        return out

    def _spotted(
        self,
        question: str,
        mentions: list[Mention],
        unlisted: list[Mention],
        blocked: list[tuple[int, int]],
    ) -> tuple[list[Mention], list[Mention]]:
        """Names no dictionary spotted: the words after "<property> of" cut to the longest
        prefix the offline resolver reads, spans it reads anywhere else (longest first), and
        members of a list of molecules that nothing reads (kept, so their failure is reported).
        One OPSIN run for all of them."""
        taken = [(m.start, m.end) for m in mentions]
        named = [m for m in mentions if m.kind == "name"]
        found: list[Mention] = []
        replaced: list[Mention] = []
        prefixes = [
            (m, " ".join(m.text.split()[:n]))
            for m in unlisted
            for n in range(len(m.text.split()), 0, -1)
        ]
        fixed = [(m.start, m.end) for m in mentions if m.kind != "name"] + blocked
        spans = [
            (a, b, t)
            for a, b, t in candidate_spans(
                question, [*fixed, *((m.start, m.end) for m in unlisted)], self.vocab.words
            )
            # a span over a known name counts only if it is longer than that name
            if all(
                b <= m.start
                or a >= m.end
                or (a <= m.start and m.end <= b and b - a > m.end - m.start)
                for m in named
            )
        ]
        names = [p for _, p in prefixes] + [s[2] for s in spans]
        known = self.offline(names) if self.offline is not None and names else [None] * len(names)
        for m in unlisted:
            hit = next(
                (p for (u, p), r in zip(prefixes, known, strict=False) if u is m and r is not None),
                None,
            )
            text = hit or m.text
            found.append(Mention(m.start, m.start + len(text), text, "name"))
            taken.append((m.start, m.start + len(text)))
        for (a, b, text), res in zip(spans, known[len(prefixes) :], strict=True):
            inside = [m for m in named if a <= m.start and m.end <= b and m not in replaced]
            others = [t for t in taken if (t[0], t[1]) not in {(m.start, m.end) for m in inside}]
            if res is not None and all(b <= s or a >= e for s, e in others):
                found.append(Mention(a, b, text, "name"))
                replaced.extend(inside)
                taken = [*others, (a, b)]
        kept = [m for m in mentions if m not in replaced]
        molecules = [(m.start, m.end) for m in [*kept, *found] if m.is_molecule]
        for a, b, text in list_members(question, molecules, taken + blocked, self.vocab.words):
            found.append(Mention(a, b, text, "name"))
        return found, replaced

    def plan(self, ctx: PlanContext, *, everything: bool = False) -> Plan:
        """The calls not made yet. Names are resolved in a round of their own, unless
        `everything`: then every call known now is listed (the hybrid planner's reference for
        what the question needs)."""
        mentions, _ = self.analyse(ctx.question)
        clauses = self.clauses(ctx)
        resolved = _resolutions(ctx.evidence)
        calls, warnings, used = _Calls(), list[str](), dict[str, Subject]()
        unavailable: list[str] = []
        comparisons: list[dict[str, Any]] = []
        can_read = any(t.name == IMAGE_TOOL for t in ctx.tools)
        pending, seen = _images(ctx) if can_read else ([], [])
        if pending:  # read the images first: their structures are what "this" refers to
            return Plan(calls=pending)
        previous = seen or [
            Subject(m.name or m.smiles, m.smiles, source=m.source) for m in ctx.memory
        ]

        made = {
            (str(e.call.args.get("smiles")), str(e.call.args.get("derivative"))): e
            for e in ctx.evidence
            if e.call.tool == "derivative"
        }
        for clause in clauses:
            refs = find_references(clause.text)
            lists = [[_from_ref(m) for m in turn] for turn in ctx.earlier]
            referred, lost = _referred(refs, previous, lists, self.vocab.groups)
            warnings.extend(lost)
            context = referred or previous
            if refs and not referred and not clause.mentions and previous:
                if not lost:
                    warnings.append(
                        f"I could not tell which earlier molecule {clause.text.strip()!r} "
                        "refers to; name it, please."
                    )
                context = []
            # Molecules referred to are this clause's own subjects: with no property asked for
            # ("compare them", "tell me about both") they get the overview.
            extra: list[Subject] = list(referred)
            skip: set[int] = set()
            derivs = find_derivatives(clause.text)
            if derivs and clause.intents and clause.reactions:
                # "the molecular weight of acetylated X": a derivative to compute on, not a
                # reaction to show
                clause = Clause(
                    clause.start, clause.end, clause.text, clause.mentions, clause.intents,
                    clause.missing, [],
                )  # fmt: skip
            if derivs:
                derived, skip = self._derived(clause, derivs, context, resolved, calls, made)
                extra = derived
                context = derived
            if clause.missing and not clause.intents and not clause.reactions:
                own = [self._subject(m, resolved, calls) for m in clause.mentions if m.is_molecule]
                about = [s.label for s in own or context]
                unavailable.extend(_not_available(u, about) for u in clause.missing)
                for s in own or context:
                    used.setdefault(s.label, s)
                previous = own or context
                continue
            literature = any(i.kind == "literature" for i, _ in clause.intents)
            named = [m.text for m in clause.mentions if m.is_molecule]
            unavailable.extend(
                _not_available(u, named)
                for u in ([] if literature else clause.missing)
                if not (u.name == "synthesis" and clause.reactions)
            )
            cmp = self._comparison(clause)
            asks = [] if clause.intents or cmp is not None else self._unexplained(clause)
            if asks and not clause.reactions and not literature and (clause.mentions or context):
                meant = self._by_meaning(clause)
                if meant is not None:
                    clause, asks = meant, []
                    label = ", ".join(self._field_label(f) for f in clause.intents[0][0].fields)
                    warnings.append(
                        f"Read {clause.text.strip()!r} as a question about {label} "
                        "(matched by meaning, not by a known phrase)."
                    )
            own = self._plan_clause(
                clause,
                context,
                resolved,
                calls,
                warnings,
                cmp is not None,
                extra=extra,
                skip=skip,
                overview=not asks,
            )
            if asks and not clause.reactions and not literature and (own or context):
                unavailable.append(_not_understood(asks, own or context))
            if cmp is not None:
                comparisons.append(cmp.as_dict())
                for s in _merge_same_structure(own or context):
                    calls.add(
                        cmp.tool,
                        _args(cmp.tool, s.smiles, (cmp.field,)),
                        label=s.label,
                        focus=(cmp.field,),
                    )
            for s in own or context:
                used.setdefault(s.label, s)
            if own:
                previous = own
            elif referred:
                previous = referred

        if ctx.images and not can_read:
            warnings.append(
                "Images were given, but no image-to-structure backend (OSRA or ChemVLM) is "
                "configured, so they were not read."
            )
        searching = any(c.tool in LITERATURE_TOOLS for c in calls.by_key.values()) or any(
            i.kind == "literature" for c in clauses for i, _ in c.intents
        )
        if (
            not used
            and not searching
            and not unavailable
            and not any(m.kind in ("invalid_smiles", "reaction") for m in mentions)
            and not any(find_references(c.text) for c in clauses)  # said which could not be told
        ):
            warnings.append(NO_MOLECULE)
        done_keys = {e.call.key() for e in ctx.evidence}
        new = [c for c in calls.by_key.values() if c.key() not in done_keys]
        if not everything and any(c.tool == "resolve_name" for c in new):
            # Resolve every name first: a structure given twice (as SMILES and by name) is then
            # recognised as one molecule before any property call is labelled.
            new = [c for c in new if c.tool in ("resolve_name", "validate_smiles")]
        subjects = [
            MoleculeRef(
                smiles=s.smiles, name=None if s.label == s.smiles else s.label, source=s.source
            )
            for s in used.values()
            if s.smiles
        ]
        return Plan(
            calls=new,
            done=not new,
            subjects=subjects,
            warnings=warnings,
            unavailable=unavailable,
            comparisons=comparisons,
        )

    def clauses(self, ctx: PlanContext) -> list[Clause]:
        """The question's clauses as `plan` reads them (a follow-up takes the earlier request)."""
        _, clauses = self.analyse(ctx.question)
        if ctx.previous_questions and is_follow_up(ctx.question):
            clauses = self._follow_up(clauses, ctx.previous_questions)
        return clauses

    def gaps(self, ctx: PlanContext) -> list[str]:
        """The parts of the question the rules do not understand; empty when the rule plan
        answers all of it (the hybrid planner then does not ask the model at all).

        A clause is understood when it asks for something the vocabulary knows (a quantity, a
        search, a reaction, a comparison) or for something it knows no tool gives. A clause
        that only names molecules ("tell me about caffeine") gets the rules' overview, which
        is a guess at what was wanted: a gap.
        """
        gaps = [
            c.text.strip()
            for c in self.clauses(ctx)
            if not (c.intents or c.reactions or c.missing or self._comparison(c) is not None)
            and c.text.strip(" ?.!,;:")
        ]
        return gaps

    def _comparison(self, clause: Clause) -> Comparison | None:
        text = mask(clause.text, clause.start, clause.mentions)
        return find_comparison(text, [i for i, _ in clause.intents], self.vocab)

    def _follow_up(self, clauses: list[Clause], previous: list[str]) -> list[Clause]:
        """ "What about X?": the clauses that ask nothing take the request of the latest earlier
        question that made one."""
        asked = next(
            (
                c
                for question in previous
                for c in self.analyse(question)[1]
                if c.intents or c.missing or c.reactions
            ),
            None,
        )
        if asked is None:
            return clauses
        out = []
        for c in clauses:
            if not (c.intents or c.missing or c.reactions):
                c = Clause(
                    c.start,
                    c.end,
                    c.text,
                    c.mentions,
                    [(i, h) for i, h in asked.intents if i.kind in ("single", "similarity")],
                    asked.missing,
                    asked.reactions,
                )
            out.append(c)
        return out

    def _subject(self, m: Mention, resolved: dict[str, Evidence], calls: _Calls) -> Subject:
        if m.kind == "smiles":
            return Subject(m.text, m.smiles, source="given as SMILES")
        hit = resolved.get(m.text.lower())
        if hit is None:
            calls.add("resolve_name", {"name": m.text}, label=m.text, focus=("smiles",))
            return Subject(m.text, None)
        if not hit.ok:
            return Subject(m.text, None, failed=True)
        return Subject(m.text, str(hit.data["smiles"]), source=str(hit.data.get("source")))

    def _by_meaning(self, clause: Clause) -> Clause | None:
        """The clause with the intent its meaning matches, or None (see `agent.planners.meaning`)."""
        text = re.sub(r"_+", "X", mask(clause.text, clause.start, clause.mentions))
        hit = self.meaning.match(text)
        if hit is None or hit.intent.kind != "single":
            return None
        whole = re.match(r".*", clause.text, re.DOTALL)
        assert whole is not None
        return Clause(
            clause.start,
            clause.end,
            clause.text,
            clause.mentions,
            [(hit.intent, whole)],
            clause.missing,
            clause.reactions,
        )

    def _field_label(self, field: str) -> str:
        fmt = self.vocab.fields.get(field)
        return fmt.label if fmt is not None else field.replace("_", " ")

    def _unexplained(self, clause: Clause) -> list[str]:
        """Words of a clause that neither name a molecule nor ask for an overview ("space
        group" in "the space group of aspirin"): what the clause asks that no intent reads."""
        text = list(mask(clause.text, clause.start, clause.mentions))
        for a, b in self._blocked(clause.text):
            text[a:b] = "_" * (b - a)
        words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", "".join(text).lower())
        return [
            w
            for w in dict.fromkeys(words)
            if w not in self.vocab.overview_words and w not in STOPWORDS and len(w) > 1
        ]

    @staticmethod
    def _between(clause: Clause, a: int, b: int) -> str:
        """The question text between two offsets inside a clause."""
        return clause.text[max(a - clause.start, 0) : max(b - clause.start, 0)]

    def _derived(
        self,
        clause: Clause,
        asks: list[DerivativeAsk],
        context: list[Subject],
        resolved: dict[str, Evidence],
        calls: _Calls,
        made: dict[tuple[str, str], Evidence],
    ) -> tuple[list[Subject], set[int]]:
        """The derivatives a clause names, as subjects (None until built), and the mentions
        used as their parents. "the methyl ester of X": X; "X methyl ester": X; "its methyl
        ester": the molecule referred to."""
        molecules = [m for m in clause.mentions if m.is_molecule]
        out: list[Subject] = []
        used: set[int] = set()
        for d in asks:
            a, b = clause.start + d.start, clause.start + d.end
            parents: list[Mention] = []
            if d.of_follows:
                parents = [m for m in molecules if m.start >= b][:1]
            elif not d.its:  # "X methyl ester", "acetylated X": the molecule beside it
                before = [m for m in molecules if m.end <= a][-1:]
                after = [m for m in molecules if m.start >= b][:1]
                touching = [
                    m
                    for m in (*before, *after)
                    if not self._between(clause, min(m.end, a), max(m.start, b)).strip(" '’s")
                ]
                parents = touching[:1] or before or after
            used |= {m.start for m in parents}
            subjects = [self._subject(m, resolved, calls) for m in parents] or context
            for p in subjects:
                label = (
                    f"acetylated {p.label}" if d.name == "acetylated" else f"{d.name} of {p.label}"
                )
                if p.failed or p.smiles is None:
                    out.append(Subject(label, None, failed=p.failed))
                    continue
                e = made.get((p.smiles, d.name))
                if e is None:
                    calls.add(
                        "derivative",
                        {"smiles": p.smiles, "derivative": d.name},
                        label=label,
                        focus=("structure", "formula"),
                    )
                    out.append(Subject(label, None))
                elif e.ok:
                    source = f"built from {p.label} with RDKit"
                    out.append(Subject(label, str(e.data["smiles"]), source=source))
                else:
                    out.append(Subject(label, None, failed=True))
        return out, used

    def _literature_by_structure(
        self, clause: Clause, resolved: dict[str, Evidence], calls: _Calls
    ) -> bool:
        """Plan a structure search of the papers when the literature clause asks where a molecule
        (or a compound containing a group) is mentioned; False to search the topic instead."""
        text = clause.text
        smiles = [m for m in clause.mentions if m.kind == "smiles"]
        if _CONTAINING.search(text):
            pattern = (smiles[0].text, smiles[0].text) if smiles else find_group(clause, self.vocab)
            groups = [m for m in clause.mentions if m.text.lower() in self.vocab.groups]
            if pattern is None and groups:  # "containing a phenol": phenol is also a molecule
                pattern = (groups[0].text, self.vocab.groups[groups[0].text.lower()])
            if pattern is not None:
                calls.add(
                    "search_literature_by_structure",
                    {"structure": pattern[1], "match": "substructure", "k": LITERATURE_PASSAGES},
                    label=pattern[0],
                    focus=("passages",),
                )
                return True
        molecules = [m for m in clause.mentions if m.is_molecule]
        if not molecules or not _MENTIONING.search(text):
            return False
        match = "similar" if re.search(r"\bsimilar\b", text, re.IGNORECASE) else "exact"
        for m in molecules:
            subject = self._subject(m, resolved, calls)
            if subject.smiles:
                calls.add(
                    "search_literature_by_structure",
                    {"structure": subject.smiles, "match": match, "k": LITERATURE_PASSAGES},
                    label=m.text,
                    focus=("passages",),
                )
        return True

    def _plan_clause(
        self,
        clause: Clause,
        previous: list[Subject],
        resolved: dict[str, Evidence],
        calls: _Calls,
        warnings: list[str],
        compares: bool = False,
        extra: list[Subject] | None = None,
        skip: set[int] | None = None,
        overview: bool = True,
    ) -> list[Subject]:
        """The calls of one clause. `extra`: subjects found another way (molecules referred to
        in the thread, derivatives); `skip`: mentions already used as a derivative's parent;
        `overview`: whether a clause that asks nothing specific gets the overview."""
        kinds = {i.kind: (i, hit) for i, hit in clause.intents}
        if "literature" in kinds:
            intent, hit = kinds["literature"]
            if self._literature_by_structure(clause, resolved, calls):
                return []
            calls.add(
                intent.tool,
                {"query": literature_query(clause.text, hit), "k": LITERATURE_PASSAGES},
                focus=intent.fields,
            )
            return []
        if clause.reactions:
            return self._named_reactions(clause, previous, resolved, calls)
        mentions = [m for m in clause.mentions if m.start not in (skip or set())]
        if any(dict(i.args).get("endpoint") == "esol" for i, _ in clause.intents):
            for m in _solvents(clause):
                mentions.remove(m)  # the solvent, not a molecule to predict for
                if m.text.lower() not in WATER:
                    warnings.append(
                        f"Solubility in {m.text}: the solubility model covers water only "
                        "(ESOL, log mol/L); its aqueous value is given instead."
                    )
        pattern: tuple[str, str] | None = None
        if "substructure" in kinds:
            trigger = clause.start + kinds["substructure"][1].start()
            given = [
                m for m in mentions if m.kind in ("smiles", "invalid_smiles") and m.start > trigger
            ]
            if given:
                pattern = (given[0].text, given[0].text)
                mentions.remove(given[0])
            else:
                pattern = find_group(clause, self.vocab)
                named = [m for m in mentions if m.text.lower() in self.vocab.groups]
                if pattern is None and named and len(mentions) > 1:
                    # "have a urea group": urea is also a molecule name; here it is the group
                    pattern = (named[0].text, self.vocab.groups[named[0].text.lower()])
                    mentions.remove(named[0])
        for m in mentions:
            if m.kind == "invalid_smiles":
                calls.add("validate_smiles", {"smiles": m.text}, label=m.text, focus=("smiles",))
        own = [self._subject(m, resolved, calls) for m in mentions if m.is_molecule]
        own = [*(extra or []), *own]
        # A clause that only names an invalid SMILES is about that string, not the last molecule.
        invalid_only = any(m.kind == "invalid_smiles" for m in mentions)
        subjects = own or ([] if invalid_only else previous)
        ready = _merge_same_structure(subjects)
        waiting = any(s.smiles is None and not s.failed for s in subjects)
        single = [i for i, _ in clause.intents if i.kind == "single"]
        if own and not clause.intents and not compares and overview:
            for s in ready:
                for tool, fields in self.vocab.overview:
                    calls.add(tool, _args(tool, s.smiles, fields), label=s.label, focus=fields)
        quantity = find_quantity(clause.text)
        for intent in single:
            if intent.tool == "convert_amount" and quantity is None:
                continue  # "the mass of aspirin" without an amount is its molecular weight
            for s in ready:
                args = _args(intent.tool, s.smiles, intent.fields) | dict(intent.args)
                if quantity is not None and intent.tool == "convert_amount":
                    args |= {"value": quantity[0], "unit": quantity[1]}
                units = units_in(clause.text, args.get("endpoint", ""))
                if intent.tool == "predict_property" and units:
                    args["units"] = units  # "how soluble is caffeine in mg/mL?"
                calls.add(intent.tool, args, label=s.label, focus=intent.fields)
        if waiting:
            return own
        if "similarity" in kinds:
            self._similarity(clause, kinds["similarity"], own, previous, calls, warnings)
        if "substructure" in kinds:
            if pattern is None:
                warnings.append(
                    "Say which substructure to look for: a SMARTS such as C(=O)[OH] or a group "
                    "name such as 'carboxylic acid'."
                )
            elif ready:
                name, smarts = pattern
                calls.add(
                    kinds["substructure"][0].tool,
                    {"pattern": smarts, "smiles": [s.smiles for s in ready]},
                    label=name,
                    focus=("match",),
                    labels={str(s.smiles): s.label for s in ready},
                )
        if "reaction" in kinds:
            rxn = next((m for m in clause.mentions if m.kind == "reaction"), None)
            if rxn is not None and ready:
                calls.add(
                    kinds["reaction"][0].tool,
                    {"reaction": rxn.text, "reactants": [s.smiles for s in ready]},
                    label=rxn.text,
                    focus=("products",),
                    labels={str(s.smiles): s.label for s in ready},
                )
        return own

    def _named_reactions(
        self,
        clause: Clause,
        previous: list[Subject],
        resolved: dict[str, Evidence],
        calls: _Calls,
    ) -> list[Subject]:
        """A named reaction on the clause's molecules; reagents named with it are not reactants."""
        reagents = {
            m.start for r in clause.reactions for m in clause.mentions if clause.reagent(m, r)
        }
        reactants = [m for m in clause.mentions if m.is_molecule and m.start not in reagents]
        need = max(r.reactants_needed for r in clause.reactions)
        if len(reactants) < need:  # a Grignard reagent is a reagent and a reactant
            reactants = [m for m in clause.mentions if m.is_molecule]
        own = [self._subject(m, resolved, calls) for m in reactants]
        for m in clause.mentions:
            if m.start in reagents:
                self._subject(m, resolved, calls)  # resolved, so the answer can name it
        subjects = own or previous
        if any(s.smiles is None and not s.failed for s in subjects):
            return own
        ready = _merge_same_structure(subjects)
        for trigger in clause.reactions:
            if ready:
                calls.add(
                    "named_reaction",
                    {"reaction": trigger.key, "reactants": [s.smiles for s in ready]},
                    label=trigger.name,
                    focus=("products",),
                    labels={str(s.smiles): s.label for s in ready},
                )
        return own

    def _similarity(
        self,
        clause: Clause,
        intent: tuple[Intent, Any],
        own: list[Subject],
        previous: list[Subject],
        calls: _Calls,
        warnings: list[str],
    ) -> None:
        trigger = clause.start + intent[1].end()
        after_to = (
            clause.text[trigger - clause.start :].lstrip().lower().startswith(("to ", "with "))
        )
        molecules = [m for m in clause.mentions if m.is_molecule]
        after = [i for i, m in enumerate(molecules) if m.start >= trigger]
        if after_to and len(after) >= 2 and after[0] > 0:
            ref_index = after[0] - 1  # "is A more similar to B or C": A is the reference
        elif after_to and after:
            ref_index = after[0]  # "which of A, B is most similar to C": C
        else:
            ref_index = 0
        if not own:
            return
        ref = own[ref_index] if ref_index < len(own) else own[0]
        others = [s for s in own if s is not ref] or [s for s in previous if s.label != ref.label]
        targets = [s for s in others if s.smiles]
        if not ref.smiles or not targets:
            if not targets:
                warnings.append(f"Name at least two molecules to compare with {ref.label}.")
            return
        labels = {str(s.smiles): s.label for s in [ref, *targets]}
        calls.add(
            "similarity",
            {"query": ref.smiles, "targets": [s.smiles for s in targets]},
            label=ref.label,
            focus=("tanimoto",),
            labels=labels,
        )


def _attach_topics(question: str, clauses: list[Clause]) -> list[Clause]:
    """ "According to the literature, does X ...?" is cut at the comma; the clause that only
    says "ask the literature" takes the next clause as its topic."""
    out: list[Clause] = []
    i = 0
    while i < len(clauses):
        c = clauses[i]
        hit = next((h for intent, h in c.intents if intent.kind == "literature"), None)
        rest = c.text[: hit.start()] + " " + c.text[hit.end() :] if hit is not None else ""
        if hit is not None and out and not content_words(rest) and i + 1 == len(clauses):
            # "Is X linked to Y? Cite papers.": the last clause only asks for sources; its
            # topic is the question before it.
            out.append(_joined(question, out.pop(), c, c.intents))
            i += 1
            continue
        if hit is not None and i + 1 < len(clauses) and not content_words(rest):
            c = _joined(question, c, clauses[i + 1], c.intents)
            i += 1
        out.append(c)
        i += 1
    return out


NOT_UNDERSTOOD = "not understood"


def _not_understood(words: list[str], about: list[Subject]) -> str:
    """What a clause asked that no tool or rule reads, said instead of a guess."""
    names = ", ".join(dict.fromkeys(s.label for s in about))
    asked = " ".join(words[:6])
    return (
        f"{NOT_UNDERSTOOD}: I did not understand what you asked about {names} ({asked!r} is "
        "nothing I can compute or look up), so nothing was computed for it. I can give "
        "formulas, masses, logP, TPSA, H-bond counts, rings, atom counts, charge, "
        "drug-likeness, similarity, functional groups, named reactions, predicted properties "
        "(solubility, toxicity, BBB penetration) or search the literature"
    )


def _referred(
    refs: list[Reference],
    previous: list[Subject],
    earlier: list[list[Subject]],
    groups: dict[str, str],
) -> tuple[list[Subject], list[str]]:
    """The earlier molecules that "the second one", "both", "that acid", "the other one" point
    to, in order, and what could not be told apart (said, never guessed)."""
    out: list[Subject] = []
    lost: list[str] = []
    # the most recent list of several molecules: what "the second one" indexes when the last
    # turn was about one of them
    listed = next((t for t in earlier if len(t) > 1), previous)
    for r in refs:
        picked: list[Subject] = []
        if r.kind == "ordinal":
            for pool in (previous, listed):
                if -len(pool) <= r.index < len(pool) and (len(pool) > 1 or r.index in (0, -1)):
                    picked = [pool[r.index]]
                    break
            if not picked and (previous or listed):
                lost.append(
                    "I could not tell which molecule the ordinal refers to: the earlier turns "
                    f"named {', '.join(s.label for s in listed or previous)}."
                )
        elif r.kind == "other":
            here = {s.smiles for s in previous}
            picked = [s for s in listed if s.smiles not in here] if listed is not previous else []
        elif r.kind == "that" and r.noun in CLASS_GROUPS and len(previous) > 1:
            picked = _with_group(previous, groups.get(CLASS_GROUPS[r.noun], "")) or previous
        else:
            picked = list(previous)
        out.extend(s for s in picked if s not in out)
    return out, lost


def _from_ref(m: MoleculeRef) -> Subject:
    return Subject(m.name or m.smiles, m.smiles, source=m.source)


def _with_group(subjects: list[Subject], smarts: str) -> list[Subject]:
    from rdkit import Chem

    pattern = Chem.MolFromSmarts(smarts) if smarts else None
    if pattern is None:
        return []
    hits = []
    for s in subjects:
        mol = Chem.MolFromSmiles(s.smiles) if s.smiles else None
        if mol is not None and mol.HasSubstructMatch(pattern):
            hits.append(s)
    return hits


def _not_available(u: Unavailable, about: list[str]) -> str:
    """ "pKa of acetic acid: no tool here predicts ...; I can ... instead." """
    of = f" of {', '.join(about)}" if about else ""
    return f"{u.what}{of}: {u.instead}."


def _joined(question: str, first: Clause, second: Clause, intents: list[Any]) -> Clause:
    """Two clauses as one, with `intents`."""
    return Clause(
        first.start,
        second.end,
        question[first.start : second.end],
        first.mentions + second.mentions,
        intents,
    )


def literature_query(text: str, trigger: re.Match[str]) -> str:
    """The clause without its trigger phrase ("papers on", "what is known about"): the topic."""
    topic = (text[: trigger.start()] + " " + text[trigger.end() :]).strip(" ?.!,;:")
    topic = " ".join(topic.split())
    return topic if len(topic) >= 2 else " ".join(text.split())


WATER = {"water", "h2o", "o", "aqueous solution", "buffer"}
_IN_SOLVENT = re.compile(r"\b(?:in|into)\s+(?:the\s+|an?\s+)?$", re.IGNORECASE)


def _solvents(clause: Clause) -> list[Mention]:
    """Molecules a solubility clause names as the solvent ("soluble in ethanol")."""
    return [
        m
        for m in clause.mentions
        if m.is_molecule and _IN_SOLVENT.search(clause.text[: m.start - clause.start])
    ]


def _args(tool: str, smiles: str | None, fields: tuple[str, ...]) -> dict[str, Any]:
    """Arguments of a one-molecule call; descriptors compute only the fields asked for."""
    if tool == "descriptors":
        return {"smiles": smiles, "names": [f for f in fields if f in DESCRIPTOR_NAMES]}
    if tool == "pubchem_compound":
        return {"identifier": smiles}
    return {"smiles": smiles}


def _merge_same_structure(subjects: list[Subject]) -> list[Subject]:
    """Resolved subjects, one per structure; "X / Y" when the question names one molecule twice."""
    merged: dict[str, Subject] = {}
    for s in subjects:
        if not s.smiles:
            continue
        old = merged.get(s.smiles)
        merged[s.smiles] = (
            s
            if old is None
            else Subject(_join_labels(old.label, s.label), s.smiles, source=old.source)
        )
    return list(merged.values())


def _join_labels(old: str, new: str) -> str:
    """One structure written two ways ("CN1CCC[C@H]1c1cccnc1 and nicotine") -> "old / new"."""
    return old if new in old.split(" / ") else f"{old} / {new}"


def _images(ctx: PlanContext) -> tuple[list[ToolCall], list[Subject]]:
    """Recognition calls still to make for the question's images, and the structures read."""
    read = {str(e.call.args.get("image")): e for e in ctx.evidence if e.call.tool == IMAGE_TOOL}
    pending, seen = [], []
    for path in ctx.images:
        e = read.get(path)
        label = f"the structure in {Path(path).name}"
        if e is None:
            pending.append(
                ToolCall(
                    id="", tool=IMAGE_TOOL, args={"image": path}, label=label, focus=["smiles"]
                )
            )
        elif e.ok:
            seen.append(Subject(label, str(e.data["smiles"]), source=str(e.data.get("source"))))
    return pending, seen


def _resolutions(evidence: list[Evidence]) -> dict[str, Evidence]:
    return {str(e.call.args["name"]).lower(): e for e in evidence if e.call.tool == "resolve_name"}
