"""What the graph's nodes need, built once per `Assistant` from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.planners.base import Planner, ToolSpec
from agent.planners.rules import RulePlanner
from agent.safety import SafetyScreen, bundled_list, load_schedule_list
from agent.settings import Settings
from tools.base import ToolRegistry
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


def name_resolver(settings: Settings) -> NameResolver:
    """Table and cache, OPSIN, PubChem: one resolver with the caches under the data folder."""
    n, pc = settings.names, settings.pubchem
    return NameResolver(
        cache=AnswerCache(settings.names_cache),
        opsin=Opsin(n.java, n.opsin_jar, n.opsin_timeout_s) if n.opsin else None,
        pubchem=PubChemClient(pc, settings.pubchem_cache),
        limits=settings.chem,
        workers=pc.workers,
    )


def default_registry(
    settings: Settings,
    resolver: NameResolver | None = None,
    literature: IndexHandle | None = None,
) -> ToolRegistry:
    """RDKit, name resolution, PubChem, property-prediction and literature tools."""
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
            *literature_tools(papers),
        ]
    )


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

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        planner: Planner | None = None,
        registry: ToolRegistry | None = None,
    ) -> Deps:
        resolver = None if registry is not None else name_resolver(settings)
        papers = (
            None
            if registry is not None
            else IndexHandle(settings.literature_dir, settings.literature)
        )
        reg = registry or default_registry(settings, resolver, papers)
        names = builtin_table()
        lst = (
            load_schedule_list(settings.safety.list_file)
            if settings.safety.list_file
            else bundled_list()
        )
        specs = [
            ToolSpec(name=t.name, description=t.description, parameters=t.json_schema())
            for t in reg
        ]
        return cls(
            settings=settings,
            registry=reg,
            planner=planner or RulePlanner(names, settings.chem),
            screen=SafetyScreen(lst),
            names=names,
            tool_specs=specs,
            resolver=resolver,
            literature=papers,
        )

    def close(self) -> None:
        if self.resolver is not None:
            self.resolver.close()
        if self.literature is not None:
            self.literature.close()
