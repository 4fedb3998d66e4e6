"""Scoring as the benchmarks' authors define it. Pure: strings in, numbers out.

An unparsable prediction is wrong (or 0 similarity), never an exception: a model that writes
nonsense scores zero, and the run goes on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import MACCSkeys, rdFingerprintGenerator

RDLogger.DisableLog("rdApp.*")

_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
_RDK = rdFingerprintGenerator.GetRDKitFPGenerator(fpSize=2048)


def canonical(smiles: str) -> str | None:
    """RDKit canonical isomeric SMILES, or None when RDKit cannot parse it."""
    mol = Chem.MolFromSmiles(smiles.strip()) if smiles and smiles.strip() else None
    return Chem.MolToSmiles(mol) if mol is not None else None


def valid(smiles: str) -> bool:
    return canonical(smiles) is not None


def smiles_match(pred: str, ref: str) -> bool:
    """Canonical SMILES equality (stereo counts; an invalid prediction is wrong)."""
    p, r = canonical(pred), canonical(ref)
    return p is not None and p == r


def smiles_match_no_stereo(pred: str, ref: str) -> bool:
    """Canonical SMILES equality with stereo removed from both: ChemLLMBench's reference SMILES
    drop the stereo their IUPAC names state, so a right reading with stereo fails the strict
    match."""
    mp = Chem.MolFromSmiles(pred.strip()) if pred and pred.strip() else None
    mr = Chem.MolFromSmiles(ref.strip()) if ref and ref.strip() else None
    if mp is None or mr is None:
        return False
    return bool(
        Chem.MolToSmiles(mp, isomericSmiles=False) == Chem.MolToSmiles(mr, isomericSmiles=False)
    )


def product_match(pred: str, ref: str) -> bool:
    """Reaction prediction: right if the whole prediction or any '.'-fragment of it matches
    the reference product (ChemLLMBench's rule)."""
    if smiles_match(pred, ref):
        return True
    return any(smiles_match(f, ref) for f in pred.split(".") if f)


def reactant_set_match(pred: str, refs: Sequence[str]) -> bool:
    """Retrosynthesis: the predicted reactants, as a set of canonical SMILES, equal the
    reference set (order and '.'-joining do not matter)."""
    got = {canonical(f) for f in pred.split(".") if f.strip()}
    want = {canonical(f) for r in refs for f in r.split(".") if f.strip()}
    return None not in got and bool(got) and got == want


def inchi(smiles: str) -> str | None:
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    return Chem.MolToInchi(mol) if mol is not None else None


def inchi_match(pred: str, ref: str) -> bool:
    """Standard InChI equality (OCSR's criterion: tautomers and drawing differences aside)."""
    p = inchi(pred)
    return p is not None and p == inchi(ref)


def tanimoto(pred: str, ref: str, fingerprint: str = "morgan") -> float:
    """Tanimoto similarity on MACCS keys, RDKit or Morgan (r=2, 2048) fingerprints; 0 when
    either side is invalid."""
    mp, mr = Chem.MolFromSmiles(pred or ""), Chem.MolFromSmiles(ref or "")
    if mp is None or mr is None or not pred or not ref:
        return 0.0
    if fingerprint == "maccs":
        a, b = MACCSkeys.GenMACCSKeys(mp), MACCSkeys.GenMACCSKeys(mr)
    elif fingerprint == "rdk":
        a, b = _RDK.GetFingerprint(mp), _RDK.GetFingerprint(mr)
    elif fingerprint == "morgan":
        a, b = _MORGAN.GetFingerprint(mp), _MORGAN.GetFingerprint(mr)
    else:
        raise ValueError(f"unknown fingerprint {fingerprint!r}; known: maccs, rdk, morgan")
    return float(DataStructs.TanimotoSimilarity(a, b))


_FORMULA_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*)")


# Sign then size, as RDKit writes it (C17H24N5O4+, SO4-2); "SO42-" would be ambiguous.
_CHARGE = re.compile(r"([+-])(\d*)$")


def formula_counts(formula: str) -> dict[str, int] | None:
    """Element counts of a molecular formula (C9H8O4 -> {C: 9, H: 8, O: 4}), with a net charge
    under the key "charge" when one is written (C17H24N5O4+, SO4-2); None if not one."""
    text = formula.strip()
    charge = 0
    if m := _CHARGE.search(text):
        charge = (1 if m.group(1) == "+" else -1) * (int(m.group(2)) if m.group(2) else 1)
        text = text[: m.start()]
    if not text or _FORMULA_TOKEN.sub("", text):
        return None
    counts: dict[str, int] = {}
    for el, n in _FORMULA_TOKEN.findall(text):
        counts[el] = counts.get(el, 0) + (int(n) if n else 1)
    if charge:
        counts["charge"] = charge
    return counts


def formula_match(pred: str, ref: str) -> bool:
    """Same elements and counts, whatever the order they are written in."""
    p = formula_counts(pred)
    return p is not None and p == formula_counts(ref)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def yes_no(text: str) -> str | None:
    """'Yes' / 'No' from a model's reply (its first word), else None."""
    m = re.match(r"\W*(yes|no)\b", text.strip(), re.IGNORECASE)
    return m.group(1).capitalize() if m else None


def first_letter(text: str, choices: str = "ABCD") -> str | None:
    """SciEval's multiple-choice scoring: the first choice letter the reply starts with."""
    m = re.match(rf"\W*([{choices}])\b", text.strip())
    return m.group(1) if m else None


def first_answer(text: str) -> str:
    """The first line of a reply, without a leading 'Answer:' and surrounding quotes."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^(answer|completion|smiles|formula)\s*[:：]\s*", "", line, flags=re.I)
    return line.strip().strip("`'\". ")


def corpus_bleu(
    references: Sequence[Sequence[str]], hypotheses: Sequence[Sequence[str]], max_n: int = 4
) -> float:
    """Corpus BLEU (Papineni et al.): clipped n-gram precisions pooled over the corpus,
    geometric mean for n = 1..max_n with uniform weights, times the brevity penalty. Tokens are
    whatever the caller splits into (MolT5 uses SMILES characters); one reference each."""
    import math
    from collections import Counter

    matched = [0] * max_n
    total = [0] * max_n
    hyp_len = ref_len = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        hyp_len += len(hyp)
        ref_len += len(ref)
        for n in range(1, max_n + 1):
            h = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            r = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            matched[n - 1] += sum(min(c, r[g]) for g, c in h.items())
            total[n - 1] += max(len(hyp) - n + 1, 0)
    if hyp_len == 0 or any(m == 0 for m in matched):
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matched, total, strict=True)) / max_n
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return float(bp * math.exp(log_p))


_WORDS = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (MolT5 tokenises with SciBERT's vocabulary,
    which cannot be downloaded here; on these descriptions the two differ only in rare
    subwords)."""
    return _WORDS.findall(text.lower())


def _f1(overlap: int, n_ref: int, n_hyp: int) -> float:
    if overlap == 0:
        return 0.0
    p, r = overlap / n_hyp, overlap / n_ref
    return 2 * p * r / (p + r)


def rouge_n(ref: Sequence[str], hyp: Sequence[str], n: int) -> float:
    """ROUGE-N F-measure of one pair of token lists."""
    from collections import Counter

    r = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
    h = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
    return _f1(sum((r & h).values()), sum(r.values()), sum(h.values()))


def rouge_l(ref: Sequence[str], hyp: Sequence[str]) -> float:
    """ROUGE-L F-measure: longest common subsequence."""
    prev = [0] * (len(hyp) + 1)
    for a in ref:
        cur = [0]
        for j, b in enumerate(hyp, 1):
            cur.append(prev[j - 1] + 1 if a == b else max(prev[j], cur[j - 1]))
        prev = cur
    return _f1(prev[-1], len(ref), len(hyp))
