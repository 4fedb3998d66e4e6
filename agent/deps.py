"""What the graph's nodes need, built once per `Assistant` from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.planners.base import Planner, ToolSpec
from agent.planners.llm import LLMPlanner
from agent.planners.rules import RulePlanner
from agent.prompts import VLM_SMILES
from agent.safety import SafetyScreen, bundled_list, load_schedule_list
from agent.settings import Settings
from agent.writer import LLMWriter
from models.chat import ChatModel
from models.settings import ModelSettings
from tools.base import Tool, ToolError, ToolRegistry
from tools.chem.toolkit import ChemToolkit
from tools.literature.tools import IndexHandle, literature_tools
from tools.names.opsin import Opsin
from tools.names.resolver import NameResolver
from tools.names.table import NameTable, builtin_table
from tools.names.tools import name_tools
from tools.predict.tools import predict_tools
from tools.pubchem.cache import AnswerCache
from tools.pubchem.client import PubChemClient
from tools.pubchem.tools import pubchem_tools
from tools.vision.tools import vision_tools

if TYPE_CHECKING:
    from tools.literature.rerank import Reranker


def name_resolver(settings: Settings) -> NameResolver:
    """Table, offline index and cache, OPSIN, PubChem: one resolver with the caches under the
    data folder."""
    n, pc = settings.names, settings.pubchem
    return NameResolver(
        table=builtin_table(n.index_file),
        cache=AnswerCache(settings.names_cache),
        opsin=Opsin(n.java, n.opsin_jar, n.opsin_timeout_s) if n.opsin else None,
        pubchem=PubChemClient(pc, settings.pubchem_cache),
        limits=settings.chem,
        workers=pc.workers,
        orthonym=n.orthonym,
    )


def default_registry(
    settings: Settings,
    resolver: NameResolver | None = None,
    literature: IndexHandle | None = None,
    vlm: ChatModel | None = None,
    llm: ChatModel | None = None,
) -> ToolRegistry:
    """RDKit, name resolution, PubChem, property-prediction, literature and image tools, and
    with an LLM (agent.model_tools) its own knowledge as checked tools."""
    toolkit = ChemToolkit(settings.chem, settings.depiction_dir)
    res = resolver or name_resolver(settings)
    assert res.pubchem is not None
    predictors = predict_tools(
        settings.predictors_dir, settings.chem, settings.predict.applicability_domain
    )
    papers = literature or IndexHandle(settings.literature_dir, settings.literature)
    return ToolRegistry(
        [
            *name_tools(res),
            *pubchem_tools(res.pubchem),
            *toolkit.tools(),
            *predictors,
            *literature_tools(papers, settings.chem, reranker(settings, llm)),
            *vision_tools(settings.vision, settings.chem, image_reader(vlm) if vlm else None),
            *(model_tools(settings, llm) if llm is not None and settings.agent.model_tools else []),
        ]
    )


def reranker(settings: Settings, llm: ChatModel | None) -> Reranker | None:
    """The LLM re-ranking stage of literature search, where a model and literature.rerank are
    both set."""
    if llm is None or not settings.literature.rerank:
        return None
    from tools.literature.rerank import Reranker

    return Reranker(llm, model_label(settings), settings.literature.rerank_candidates)


def model_label(settings: Settings) -> str:
    """How the LLM's own answers are attributed: ChemDFM for its presets, else the preset."""
    preset = settings.llm.preset or "chemdfm-v1.5-8b"
    return "ChemDFM" if preset.startswith("chemdfm") else preset


def model_tools(settings: Settings, llm: ChatModel) -> list[Tool]:
    from tools.model.tools import ModelTools

    return ModelTools(
        llm, model_label(settings), settings.agent.model_samples, settings.chem
    ).tools()


def image_reader(vlm: ChatModel) -> Callable[[Path], str]:
    """Ask the vision-language model for the SMILES drawn in an image."""
    from models.chat import Generation, ImagePart, Message
    from models.errors import ModelError

    def read(path: Path) -> str:
        msg = Message(role="user", content=VLM_SMILES, images=[ImagePart(path=str(path))])
        try:
            return vlm.complete([msg], Generation(max_tokens=200))
        except ModelError as exc:
            raise ToolError(str(exc)) from exc

    return read


NO_LLM_NOTE = (
    "No language model is configured, so the rule planner chose the tools and the answer is "
    "written from templates; set CHEMAGENT_LLM_URL to a ChemDFM server to use it."
)


def configured_model(cfg: ModelSettings, default_preset: str) -> ChatModel | None:
    """The model a `llm`/`vlm` section names, or None where nothing is set."""
    if not cfg.configured:
        return None
    from models.backends import load_chat_model

    return load_chat_model(cfg, default_preset)


def choose(
    settings: Settings, llm: ChatModel | None, rules: RulePlanner
) -> tuple[Planner, LLMWriter | None, str | None]:
    """Planner, writer and the note on how answers are made, from `agent.planner/writer`."""
    cfg = settings.agent
    if llm is None and "llm" in (cfg.planner, cfg.writer):
        raise ValueError(
            "agent.planner or agent.writer is 'llm' but no model is configured: set "
            "CHEMAGENT_LLM_URL (a server) or CHEMAGENT_LLM_PATH (a local checkpoint)"
        )
    planner: Planner = rules
    if llm is not None and cfg.planner in ("auto", "llm"):
        planner = LLMPlanner(llm, rules, repairs=cfg.plan_repairs)
    writer = None
    if llm is not None and cfg.writer in ("auto", "llm"):
        writer = LLMWriter(llm, max_tokens=settings.llm.max_tokens)
    note = NO_LLM_NOTE if llm is None else None
    return planner, writer, note


@dataclass
class Deps:
    settings: Settings
    registry: ToolRegistry
    planner: Planner
    screen: SafetyScreen
    names: NameTable
    tool_specs: list[ToolSpec] = field(default_factory=list)
    resolver: NameResolver | None = None
    literature: IndexHandle | None = None
    writer: LLMWriter | None = None
    engine_note: str | None = None
    models: list[ChatModel] = field(default_factory=list)  # loaded here, closed by close()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        planner: Planner | None = None,
        registry: ToolRegistry | None = None,
        llm: ChatModel | None = None,
    ) -> Deps:
        # A model passed in belongs to the caller (not closed here); the VLM still comes from
        # the settings either way.
        own_llm = configured_model(settings.llm, "chemdfm-v1.5-8b") if llm is None else None
        vlm = configured_model(settings.vlm, "chemvlm-8b")
        resolver = None if registry is not None else name_resolver(settings)
        papers = (
            None
            if registry is not None
            else IndexHandle(settings.literature_dir, settings.literature)
        )
        reg = registry or default_registry(settings, resolver, papers, vlm, llm or own_llm)
        names = builtin_table(settings.names.index_file)
        lst = (
            load_schedule_list(settings.safety.list_file)
            if settings.safety.list_file
            else bundled_list()
        )
        specs = [
            ToolSpec(name=t.name, description=t.description, parameters=t.json_schema())
            for t in reg
        ]
        rules = RulePlanner(
            names, settings.chem, offline=resolver.resolve_offline if resolver else None
        )
        chosen, writer, note = choose(settings, llm or own_llm, rules)
        return cls(
            settings=settings,
            registry=reg,
            planner=planner or chosen,
            writer=writer,
            engine_note=note if planner is None else None,
            models=[m for m in (own_llm, vlm) if m is not None],
            screen=SafetyScreen(lst),
            names=names,
            tool_specs=specs,
            resolver=resolver,
            literature=papers,
        )

    def close(self) -> None:
        for m in self.models:
            m.close()
        if self.resolver is not None:
            self.resolver.close()
        if self.literature is not None:
            self.literature.close()
