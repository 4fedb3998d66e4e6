"""Planners decide the next tool calls. All share the `Planner` protocol in `base`."""

from agent.planners.base import PlanContext, Planner
from agent.planners.rules import RulePlanner

__all__ = ["PlanContext", "Planner", "RulePlanner"]
