"""Systems under test: a tool, the raw chemistry LLM, or the whole agent.

`tool:NAME` runs the project's own tool on the example's input (OSRA on images, RDKit on SMILES,
OPSIN on names, the property predictors on molecules): the baseline a model has to beat.
`model` sends the task's dialogue to the LLM configured in the settings (`model:URL` or
`model:PATH` name one directly). `agent` asks the whole assistant.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from evals.tasks.base import Example, Task

logger = logging.getLogger(__name__)


class SystemError_(ValueError):
    """A system that cannot run this task, or is not configured."""


class System(Protocol):
    name: str

    def prepare(self, examples: list[Example]) -> None: ...

    def predict(self, example: Example) -> str: ...

    def close(self) -> None: ...


class _Base:
    name = ""

    def prepare(self, examples: list[Example]) -> None:
        pass

    def close(self) -> None:
        pass


class OsraSystem(_Base):
    name = "tool:osra"

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def predict(self, example: Example) -> str:
        from tools.vision.osra import recognise

        vision = self.settings.vision
        found = recognise(Path(example.images[0]), vision.osra, vision.timeout_s)
        return found[0] if found else ""


class RDKitFormulaSystem(_Base):
    name = "tool:rdkit"

    def predict(self, example: Example) -> str:
        return _formula(example.input or "")


class OpsinSystem(_Base):
    """Names -> structures with OPSIN, all names of a run in one JVM."""

    name = "tool:opsin"

    def __init__(self, settings: Any, want_formula: bool) -> None:
        self.settings = settings
        self.want_formula = want_formula
        self.parsed: dict[str, str] = {}

    def prepare(self, examples: list[Example]) -> None:
        from tools.names.opsin import Opsin

        n = self.settings.names
        names = [e.input for e in examples if e.input]
        results = Opsin(n.java, n.opsin_jar, max(n.opsin_timeout_s, 300.0)).parse(names)
        self.parsed = {name: r.smiles or "" for name, r in zip(names, results, strict=True)}

    def predict(self, example: Example) -> str:
        smiles = self.parsed.get(example.input or "", "")
        return _formula(smiles) if self.want_formula else smiles


def _formula(smiles: str) -> str:
    """The formula the project's molecular_formula tool gives, or "" for no molecule."""
    from rdkit import Chem

    from tools.chem.convert import formula

    mol = Chem.MolFromSmiles(smiles) if smiles else None
    return formula(mol) if mol is not None else ""


# The ChemDFM files name clintox's two tasks by group; the predictor names them by column.
_CLINTOX = {"clintox-FDA": "FDA_APPROVED", "clintox-tox": "CT_TOX"}


class PredictorSystem(_Base):
    """The shipped property predictors: P(yes) for the task's endpoint."""

    name = "tool:predict"

    def __init__(self, settings: Any, endpoint: str, all_tasks: bool = False) -> None:
        from tools.predict.model import load_model

        self.model = load_model(endpoint, settings.predictors_dir)
        self.settings = settings
        self.all_tasks = all_tasks

    def predict(self, example: Example) -> str:
        pred = self.model.predict(example.input or "", self.settings.chem, domain=False)
        if self.all_tasks:  # MoleculeNet: every task's probability, in the endpoint's order
            return json.dumps([t.probability for t in pred.tasks])
        column = _CLINTOX.get(example.group or "")
        for t in pred.tasks:
            if column is None or t.column == column:
                # clintox's CT_TOX is "failed for toxicity": the question asks the same thing
                return f"{t.probability:.6f}"
        raise SystemError_(f"no task {column} in the {self.model.card.endpoint} model")


class LiteratureSystem(_Base):
    """The literature index of the settings (`chemagent index add`), hybrid search, top 10."""

    name = "tool:search_literature"

    def __init__(self, settings: Any) -> None:
        from tools.literature.index import LiteratureIndex

        self.index = LiteratureIndex(settings.literature_dir, settings.literature)

    def predict(self, example: Example) -> str:
        hits = self.index.search_many([example.input or ""], k=10)[0]
        return json.dumps([{"doc_id": h.doc_id, "text": h.text} for h in hits])

    def close(self) -> None:
        self.index.close()


class ChemLitSystem(_Base):
    """Hybrid search over an index of the task's own passages (built in prepare, in a folder of
    the data home), answering with the documents of the top passages, best first."""

    name = "tool:search_literature"

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.index: Any = None

    def prepare(self, examples: list[Example]) -> None:
        import hashlib

        from tools.literature.documents import JsonlFields
        from tools.literature.index import LiteratureIndex

        docs: dict[str, str] = {}
        for ex in examples:
            docs.update(ex.reference["passages"])
        digest = hashlib.sha256("".join(sorted(docs)).encode()).hexdigest()[:12]
        folder = self.settings.home / "eval-indexes" / f"chemlit-qa-{digest}"
        folder.mkdir(parents=True, exist_ok=True)
        corpus = folder / "corpus.jsonl"
        corpus.write_text(
            "".join(
                json.dumps({"id": d, "title": "ChemLit-QA passage", "text": t}) + "\n"
                for d, t in docs.items()
            ),
            encoding="utf-8",
        )
        self.index = LiteratureIndex(folder, self.settings.literature)
        self.index.add([corpus], JsonlFields(id="id", title="title", text="text"))

    def predict(self, example: Example) -> str:
        hits = self.index.search_many([example.input or ""], k=30)[0]
        return json.dumps(list(dict.fromkeys(h.doc_id for h in hits))[:10])

    def close(self) -> None:
        if self.index is not None:
            self.index.close()


class ModelSystem(_Base):
    """The task's own dialogue, sent to a chat model (greedy, as the authors evaluated)."""

    def __init__(self, model: Any, label: str, max_tokens: int = 256) -> None:
        self.model = model
        self.name = label
        self.max_tokens = max_tokens

    def predict(self, example: Example) -> str:
        from models.chat import Generation, ImagePart, Message

        msgs = [Message.model_validate(m) for m in example.messages]
        if example.images:
            msgs[-1].images = [ImagePart(path=p) for p in example.images]
        return str(self.model.complete(msgs, Generation(max_tokens=self.max_tokens)))

    def close(self) -> None:
        self.model.close()


_FORMULA_LINE = re.compile(r"molecular formula:\s*(\S+)")
_NAME_LINE = re.compile(r"^\s*- name:\s*(.+?)(?:\s+\[\d+\])?$", re.MULTILINE)


# Tasks the agent answers with its model tools: the same model as `--system model`, plus
# the agent's checks (samples voted on, structures canonicalised by RDKit, invalid output
# reported instead of given). The tool, and how the task's input becomes its arguments.
MODEL_TOOL_TASKS: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "reaction-prediction": (
        "predict_reaction",
        lambda x: {"reactants": x.split(">>")[0].split(".")},
    ),
    "retrosynthesis": ("retrosynthesis", lambda x: {"smiles": x.split(">>")[-1]}),
    "molecule-design": ("design_molecule", lambda x: {"description": x}),
    "molecule-captioning": ("describe_molecule", lambda x: {"smiles": x}),
}
_TOOL_OUTPUT = {
    "predict_reaction": "product",
    "design_molecule": "smiles",
    "describe_molecule": "answer",
}


class AgentSystem(_Base):
    """The whole assistant; SMILES answers come from the molecules it reports."""

    name = "agent"

    def __init__(self, settings: Any, task: Task) -> None:
        from agent.api import Assistant

        self.assistant = Assistant(settings)
        self.task = task
        if task.name in MODEL_TOOL_TASKS and MODEL_TOOL_TASKS[task.name][0] not in (
            self.assistant.deps.registry
        ):
            self.assistant.close()
            raise SystemError_(
                f"the agent answers {task.name} with its model tools: configure a model "
                "(CHEMAGENT_LLM_URL or CHEMAGENT_LLM_PATH) and keep agent.model_tools on"
            )

    def predict(self, example: Example) -> str:
        if self.task.name in MODEL_TOOL_TASKS:
            from tools.base import ToolError

            name, to_args = MODEL_TOOL_TASKS[self.task.name]
            try:
                result = self.assistant.deps.registry.get(name).run(to_args(str(example.input)))
            except ToolError as exc:
                logger.info("%s: %s", example.id, exc)
                return ""  # the agent gives no answer rather than an invalid one
            if name == "retrosynthesis":
                return ".".join(result.data["reactants"])
            return str(result.data[_TOOL_OUTPUT[name]])
        ans = self.assistant.ask(example.messages[-1]["content"], example.images or None)
        if self.task.output == "smiles" and ans.molecules:
            return ans.molecules[-1].smiles
        if self.task.output == "formula" and (m := _FORMULA_LINE.search(ans.text)):
            return m.group(1)
        if self.task.output == "name" and (m := _NAME_LINE.search(ans.text)):
            return m.group(1)
        return ans.text

    def close(self) -> None:
        self.assistant.close()


def get_system(spec: str, task: Task, settings: Any) -> System:
    """The system `spec` names, for `task`; a clear error when they do not fit together."""
    kind, _, arg = spec.partition(":")
    if kind == "tool":
        if arg == "osra" and task.name.startswith("ocsr"):
            return OsraSystem(settings)
        if arg == "rdkit" and task.name == "smiles-to-formula":
            return RDKitFormulaSystem()
        if arg == "opsin" and task.name in ("iupac-to-smiles", "iupac-to-formula"):
            return OpsinSystem(settings, want_formula=task.name == "iupac-to-formula")
        if arg == "predict" and task.name.startswith("property-"):
            return PredictorSystem(settings, task.name.removeprefix("property-"))
        if arg == "search_literature" and task.name == "literature-recall":
            return LiteratureSystem(settings)
        if arg == "search_literature" and task.name == "chemlit-qa":
            return ChemLitSystem(settings)
        if arg == "predict" and task.name.startswith("moleculenet-"):
            return PredictorSystem(settings, task.name.removeprefix("moleculenet-"), True)
        raise SystemError_(
            f"{spec} does not apply to {task.name}; tool systems: tool:osra (ocsr-*), "
            "tool:rdkit (smiles-to-formula), tool:opsin (iupac-to-*), "
            "tool:predict (property-*, moleculenet-*), tool:search_literature (literature-recall, "
            "chemlit-qa)"
        )
    if kind in ("model", "agent") and task.name.startswith("moleculenet-"):
        raise SystemError_(
            f"{task.name} scores probabilities for every task (tool:predict); for a language "
            f"model or the agent use property-{task.name.removeprefix('moleculenet-')}"
        )
    if kind in ("model", "agent") and task.name in ("literature-recall", "chemlit-qa"):
        raise SystemError_(f"{task.name} scores retrieved passages: use tool:search_literature")
    if kind == "model":
        from models.backends import load_chat_model
        from models.presets import presets

        vision = task.name.startswith("ocsr")
        cfg = settings.vlm if vision else settings.llm
        if arg in presets():  # model:PRESET -> the configured server, prompted as that preset
            cfg = cfg.model_copy(update={"preset": arg})
        elif arg.startswith("http"):
            cfg = cfg.model_copy(update={"url": arg})
        elif arg:
            cfg = cfg.model_copy(update={"url": None, "path": Path(arg)})
        if not cfg.configured:
            where = "CHEMAGENT_VLM_URL" if vision else "CHEMAGENT_LLM_URL"
            raise SystemError_(
                f"no model configured: use model:URL or model:PATH, or set {where} "
                "(model:PRESET then names how that server's model is prompted)"
            )
        model = load_chat_model(cfg, "chemvlm-8b" if vision else "chemdfm-v1.5-8b")
        return ModelSystem(model, f"model:{getattr(model, 'name', arg)}")
    if kind == "agent":
        return AgentSystem(settings, task)
    raise SystemError_(f"unknown system {spec!r}; use tool:NAME, model[:URL|PATH] or agent")
