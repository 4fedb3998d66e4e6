"""Build the instruction-tuning files from the shared data: chemistry dialogues (leakage-checked)
and a general set, written as JSONL with a report of what was built and what was removed."""

from __future__ import annotations

import logging
import random
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from training.data import instructions as ins
from training.data.dialogue import Dialogue, write_dialogues
from training.data.leakage import Forbidden, LeakageReport, evaluation_molecules, remove_leaks

logger = logging.getLogger(__name__)


class BuildReport(BaseModel):
    chemistry: int
    general: int
    by_source: dict[str, int]
    iupac_rejected_by_opsin: int
    leakage: LeakageReport
    files: list[str] = Field(default_factory=list)


def build_instruction_data(
    shared: Path,
    out: Path,
    per_family: int = 2000,
    general_limit: int = 4000,
    seed: int = 0,
    forbidden: Forbidden | None = None,
) -> BuildReport:
    """Write `out/chemistry.jsonl`, `out/general.jsonl` and `out/report.json`."""
    rng = random.Random(seed)
    chebi = list(ins.chebi_rows(shared / "literature" / "chebi20" / "validation.txt"))
    rng.shuffle(chebi)
    rows = chebi[:per_family]
    chem: list[Dialogue] = [
        *ins.description_dialogues(rows, rng),
        *ins.design_dialogues(chebi[per_family : 2 * per_family] or rows, rng),
        *ins.property_dialogues(
            shared / "moleculenet" / "chemprop_2019", rng, per_task=max(2, per_family // 16)
        ),
        *ins.formula_dialogues([s for s, _ in chebi[:per_family]], rng),
    ]
    iupac, rejected = ins.iupac_dialogues(
        ins.name_candidates(pubchem_dirs=[shared / "pubchem" / "pug_rest"]), rng
    )
    chem += iupac
    forbidden = forbidden if forbidden is not None else evaluation_molecules(shared)
    chem, leak = remove_leaks(chem, forbidden)
    general = list(
        ins.general_dialogues(
            shared / "literature" / "bc5cdr" / "bc5cdr_docs.jsonl", rng, general_limit
        )
    )
    out.mkdir(parents=True, exist_ok=True)
    write_dialogues(chem, out / "chemistry.jsonl")
    write_dialogues(general, out / "general.jsonl")
    report = BuildReport(
        chemistry=len(chem),
        general=len(general),
        by_source=dict(Counter(d.source.split(":")[0] for d in chem)),
        iupac_rejected_by_opsin=rejected,
        leakage=leak,
        files=[str(out / "chemistry.jsonl"), str(out / "general.jsonl")],
    )
    tmp = out / "report.json.partial"
    tmp.write_text(report.model_dump_json(indent=1))
    tmp.replace(out / "report.json")
    logger.info(
        "built %d chemistry and %d general dialogues; %d removed as leaks",
        len(chem),
        len(general),
        leak.removed,
    )
    return report
