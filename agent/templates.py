"""Writes the answer from evidence with templates (the LLM writer comes with the models issue).

Every value printed is read from a tool result; nothing is computed here except which of
several given values is highest, so every number can be traced to a cited step.
"""

from __future__ import annotations

from typing import Any

from agent.answer import Citation, Passage
from agent.intents import FieldFormat, vocabulary
from agent.state import Evidence
from tools.model.tools import MODEL_TOOLS, NOT_VERIFIED


class Citer:
    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._numbers: dict[str, int] = {}

    def __call__(self, e: Evidence) -> str:
        if e.id not in self._numbers:
            self._numbers[e.id] = len(self._numbers) + 1
            self.citations.append(
                Citation(
                    number=self._numbers[e.id],
                    evidence_id=e.id,
                    tool=e.call.tool,
                    summary=e.summary,
                )
            )
        return f"[{self._numbers[e.id]}]"

    def passage(self, e: Evidence, index: int) -> str:
        """One number per retrieved passage, pointing at its document, page and offsets."""
        key = f"{e.id}#{index}"
        if key not in self._numbers:
            p = e.data["passages"][index]
            self._numbers[key] = len(self._numbers) + 1
            self.citations.append(
                Citation(
                    number=self._numbers[key],
                    evidence_id=e.id,
                    kind="passage",
                    tool=e.call.tool,
                    summary=f"{p['title']} ({p['doc_id']})",
                    passage=Passage(
                        doc_id=p["doc_id"],
                        title=p["title"],
                        page=p.get("page"),
                        start=p["start"],
                        end=p["end"],
                        quote=p["quote"],
                    ),
                )
            )
        return f"[{self._numbers[key]}]"


def format_value(name: str, value: Any) -> str:
    """A result value as written in answers, with its unit and precision from the field table."""
    fmt = vocabulary().fields.get(name, FieldFormat(label=name))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and fmt.decimals is not None:
        text = f"{value:.{fmt.decimals}f}"
        if float(text) == 0:
            text = text.lstrip("-")  # no "-0.00"
    elif isinstance(value, dict):
        text = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
    elif isinstance(value, list):
        if value and isinstance(value[0], dict) and "label" in value[0]:
            text = ", ".join(f"{v['symbol']}{v['atom']} ({v['label']})" for v in value)
        elif fmt.one_per_line and len(value) > 1:
            text = "".join(f"\n      {v}" for v in value)
        else:
            text = ", ".join(str(v) for v in value)
        text = text or "none"
    else:
        text = str(value)
    return f"{text} {fmt.unit}".rstrip() if fmt.unit else text


def _label(name: str) -> str:
    return vocabulary().fields.get(name, FieldFormat(label=name)).label


def _who(smiles: str, labels: dict[str, str]) -> str:
    return labels.get(smiles, smiles)


# Tools that give the structure of a name or a drawing: stated once, as "Structures: ...".
STRUCTURE_TOOLS = ("resolve_name", "recognize_structure")


# Fields a tool returns about its own call (the input echoed, whether a cache answered), shown
# only when asked for.
_ECHOED = frozenset({"smiles", "query", "cached"})


def _single_lines(evidence: list[Evidence], cite: Citer) -> list[str]:
    by_subject: dict[str, list[str]] = {}
    shown: dict[str, set[tuple[str, str]]] = {}
    for e in evidence:
        if not e.ok or e.call.tool in _MULTI or e.call.tool in STRUCTURE_TOOLS:
            continue
        subject = e.call.label or str(e.data.get("smiles", "?"))
        lines = by_subject.setdefault(subject, [])
        said = shown.setdefault(subject, set())
        fields = e.call.focus or [k for k in e.data if k not in _ECHOED]
        for f in fields:
            if f not in e.data or (f == "smiles" and e.call.tool != "validate_smiles"):
                continue
            if e.data[f] is None or e.data[f] in ("", [], {}):
                continue  # a field the tool had nothing for is not a finding
            value = format_value(f, e.data[f])
            if (_label(f), value) in said:
                continue  # two tools reporting the same formula: said once
            said.add((_label(f), value))
            gap = "" if value.startswith("\n") else " "
            lines.append(f"  - {_label(f)}:{gap}{value} {cite(e)}")
    out = []
    for subject, lines in by_subject.items():
        out.append(f"{subject}:")
        out.extend(dict.fromkeys(lines))
    return out


def _comparisons(evidence: list[Evidence], skip: set[str] | None = None) -> list[str]:
    """'Highest logP: ibuprofen (3.07); lowest: aspirin (1.31)' for fields asked of 2+ molecules
    (not for those a verdict already answers)."""
    values: dict[str, dict[str, Any]] = {}
    for e in evidence:
        if e.ok and e.call.tool in ("descriptors", "molecular_weight") and e.call.label:
            for f in e.call.focus:
                v = e.data.get(f)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    values.setdefault(f, {})[e.call.label] = v
    out = []
    for f, per in values.items():
        if len(per) < 2 or f in (skip or set()):
            continue
        hi, lo = max(per, key=per.__getitem__), min(per, key=per.__getitem__)
        if per[hi] == per[lo]:
            out.append(f"{_label(f)} is the same for all ({format_value(f, per[hi])}).")
        else:
            out.append(
                f"Highest {_label(f)}: {hi} ({format_value(f, per[hi])}); "
                f"lowest: {lo} ({format_value(f, per[lo])})."
            )
    return out


def _similarity(e: Evidence, cite: Citer) -> str:
    labels = e.call.labels
    rows = ", ".join(f"{_who(r['smiles'], labels)} {r['tanimoto']}" for r in e.data["results"])
    best = _who(e.data["most_similar"], labels)
    score = max(r["tanimoto"] for r in e.data["results"])
    ref = _who(e.data["query"], labels)
    return (
        f"Tanimoto similarity to {ref} ({e.data['fingerprint']}): {rows}; "
        f"most similar: {best} ({score}) {cite(e)}"
    )


def _substructure(e: Evidence, cite: Citer) -> str:
    labels = e.call.labels
    rows = ", ".join(
        f"{_who(r['smiles'], labels)} {'yes' if r['match'] else 'no'}"
        + (f" ({r['n_matches']} match{'es' if r['n_matches'] != 1 else ''})" if r["match"] else "")
        for r in e.data["results"]
    )
    pattern = e.call.args["pattern"]
    name = e.call.label if e.call.label and e.call.label != pattern else None
    what = f"{name} ({pattern})" if name else pattern
    return f"Contains {what}: {rows} {cite(e)}"


def _reaction(e: Evidence, cite: Citer) -> str:
    products = [p["smiles"] for p in e.data["products"]]
    reactants = ", ".join(_who(s, e.call.labels) for s in e.call.args["reactants"])
    if not products:
        return f"The reaction {e.call.args['reaction']} does not apply to {reactants} {cite(e)}"
    return f"Products of {e.call.args['reaction']} on {reactants}: {'; '.join(products)} {cite(e)}"


def _named_reaction(e: Evidence, cite: Citer) -> str:
    lines = []
    for o in e.data.get("outcomes", []):
        given = " + ".join(_who(s, e.call.labels) for s in o["reactants"])
        lines.append(
            f"{e.data['reaction']} of {given}: product {' + '.join(o['products'])} {cite(e)}"
        )
    lines.append(f"  (reaction template: {e.data['outcomes'][0]['template']})")
    return "\n".join(lines)


def _literature(e: Evidence, cite: Citer) -> str:
    """Short exact quotes, each cited as its own passage, grouped by document (the document of
    the best passage first) with their pages; the passages are data, only quoted."""
    passages = e.data.get("passages", [])
    if e.call.tool == "search_literature_by_structure":
        what = {
            "exact": "mentioning",
            "substructure": "mentioning a compound containing",
            "similar": "mentioning a compound similar to",
        }[str(e.data.get("match", "exact"))]
        about = e.call.label or str(e.data.get("query", ""))
        head, empty = f"Passages {what} {about}:", f"No indexed passage {what} {about}"
        other = (
            "other passages also mention it"
            if e.data.get("match", "exact") == "exact"
            else "other passages also mention such a compound"
        )
    else:
        query = str(e.call.args.get("query", ""))
        head, empty = (
            f"From the literature on {query!r}:",
            (f"No passage in the literature index matches {query!r}"),
        )
        other = "other passages share words with the question"
    note = "".join(
        f"\n  Note: {e.data[key]}." for key in ("rerank_note", "note") if e.data.get(key)
    )
    if not passages:
        return f"{empty} {cite(e)}{note}"
    lines = [head]
    by_doc: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        by_doc.setdefault(str(p["doc_id"]), []).append(i)
    for doc, numbers in by_doc.items():
        lines.append(f"  {passages[numbers[0]]['title']} ({doc}):")
        for i in numbers:
            p = passages[i]
            found = ""
            if p.get("matched"):
                found = (
                    " ["
                    + ", ".join(dict.fromkeys(f"{m['as_written']}" for m in p["matched"]))
                    + "]"
                )
            page = f" (p. {p['page']})" if p.get("page") else ""
            lines.append(f'    {cite.passage(e, i)} "{p["quote"]}"{page}{found}')
            if p.get("summary"):
                # The re-ranking model's words about the passage it cites, shown as its own.
                lines.append(
                    f"      {e.data.get('reranked_by', 'The model')}'s summary "
                    f"({NOT_VERIFIED}): {p['summary']}"
                )
    more = int(e.data.get("not_shown", 0))  # a number the tool reported, as every number shown
    if more > 0:
        lines.append(f"  {more} {other} (not shown).")
    if (dropped := int(e.data.get("judged_irrelevant", 0))) and not e.data.get("rerank_note"):
        lines.append(
            f"  {dropped} of the {e.data['judged']} passages {e.data['reranked_by']} read were "
            "judged not relevant to the question and left out."
        )
    return "\n".join(lines) + note


def _model(e: Evidence, cite: Citer) -> str:
    """The chemistry model's own answer, as its summary attributes it (not verified)."""
    return f"{e.summary} {cite(e)}"


_MULTI = {
    **dict.fromkeys(MODEL_TOOLS, _model),
    "similarity": _similarity,
    "substructure_search": _substructure,
    "apply_reaction": _reaction,
    "named_reaction": _named_reaction,
    "search_literature": _literature,
    "search_literature_by_structure": _literature,
}


_COUNTS = {"hbd", "hba", "rotatable_bonds", "rings", "aromatic_rings", "heavy_atoms"}


def _form(adjective: str, n: int) -> str:
    """ "more lipophilic" for two molecules, "most lipophilic" for more; likewise -er/-est."""
    word = adjective
    if n > 2:
        word = word.replace("more ", "most ").replace("less ", "least ")
        if word.endswith("ier"):
            word = word[:-3] + "iest"
        elif word.endswith("er") and " " not in word:
            word = word[:-2] + "est"
    else:
        word = word.replace("most ", "more ").replace("least ", "less ")
        if word.endswith("iest"):
            word = word[:-4] + "ier"
        elif word.endswith("est") and " " not in word:
            word = word[:-3] + "er"
    return ("the " if n > 2 else "") + word


def verdicts(evidence: list[Evidence], comparisons: list[dict[str, Any]], cite: Citer) -> list[str]:
    """The answer to "which is more X" / "rank by X": the winner and every value, cited."""
    out = []
    for c in comparisons:
        field = str(c["field"])
        values: dict[str, tuple[float, Evidence]] = {}
        for e in evidence:
            v = e.data.get(field) if e.ok and e.call.label else None
            if isinstance(v, int | float) and not isinstance(v, bool):
                values.setdefault(str(e.call.label), (float(v), e))
        if len(values) < 2:
            continue
        order = sorted(values, key=lambda k: values[k][0], reverse=c["direction"] == "high")
        shown = [
            f"{k} ({format_value(field, values[k][1].data[field])}) {cite(values[k][1])}"
            for k in order
        ]
        best, label = order[0], _label(field)
        top, second = values[order[0]][0], values[order[1]][0]
        if top == second:
            out.append(f"{order[0]} and {order[1]} tie on {label}: " + ", ".join(shown) + ".")
            continue
        if c.get("rank"):
            way = "highest" if c["direction"] == "high" else "lowest"
            out.append(f"Ranked by {label}, {way} first: " + " > ".join(shown) + ".")
        elif c.get("adjective"):
            out.append(
                f"{best} is {_form(str(c['adjective']), len(values))} ({label}): "
                + ", ".join(shown)
                + "."
            )
        else:
            two, high = len(values) == 2, c["direction"] == "high"
            if field in _COUNTS:  # "has more rotatable bonds", "has the fewest rings"
                way = (
                    ("more" if two else "the most") if high else ("fewer" if two else "the fewest")
                )
                out.append(f"{best} has {way} {label}: " + ", ".join(shown) + ".")
            else:
                way = ("higher" if two else "highest") if high else ("lower" if two else "lowest")
                out.append(f"{best} has the {way} {label}: " + ", ".join(shown) + ".")
    return out


def write_findings(
    evidence: list[Evidence], comparisons: list[dict[str, Any]] | None = None
) -> tuple[str, list[Citation]]:
    """What the tools found, and the citations its [n] markers point to; a comparison the
    question asked for is answered first, with its verdict."""
    cite = Citer()
    parts: list[str] = verdicts(evidence, comparisons or [], cite)
    resolved = [e for e in evidence if e.ok and e.call.tool in STRUCTURE_TOOLS]
    if resolved:
        parts.append(
            "Structures: "
            + "; ".join(
                f"{e.call.args.get('name') or e.call.label} = {e.data['smiles']} "
                f"({e.data['source']}) {cite(e)}"
                for e in resolved
            )
        )
    parts.extend(_single_lines(evidence, cite))
    parts.extend(_comparisons(evidence, {str(c["field"]) for c in comparisons or []}))
    parts.extend(_MULTI[e.call.tool](e, cite) for e in evidence if e.ok and e.call.tool in _MULTI)
    failures = [e for e in evidence if not e.ok]
    if failures:
        parts.append("Problems:")
        parts.extend(f"  - {e.call.tool} ({e.call.label or ''}): {e.error}" for e in failures)
    return "\n".join(parts), cite.citations


def with_warnings(findings: str, warnings: list[str]) -> str:
    """The whole answer text: the findings, then the warnings (which are not tool results)."""
    parts = [findings] if findings else []
    if warnings:
        parts.append("Warnings:")
        parts.extend(f"  - {w}" for w in warnings)
    return "\n".join(parts) or "I found nothing to compute for this question."
