"""What the graph's nodes need, built once per `Assistant` from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.planners.base import Planner, ToolSpec
from agent.planners.rules import RulePlanner
from agent.safety import SafetyScreen, bundled_list, load_schedule_list
from agent.settings import Settings
from tools.base import ToolRegistry
from tools.chem.toolkit import ChemToolkit
from tools.names.table import NameTable, builtin_table, resolve_name_tool


def default_registry(settings: Settings) -> ToolRegistry:
    """The tools available offline: RDKit and the built-in name table."""
    toolkit = ChemToolkit(settings.chem, settings.depiction_dir)
    return ToolRegistry([resolve_name_tool(), *toolkit.tools()])


@dataclass
class Deps:
    settings: Settings
    registry: ToolRegistry
    planner: Planner
    screen: SafetyScreen
    names: NameTable
    tool_specs: list[ToolSpec] = field(default_factory=list)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        planner: Planner | None = None,
        registry: ToolRegistry | None = None,
    ) -> Deps:
        reg = registry or default_registry(settings)
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
        )
