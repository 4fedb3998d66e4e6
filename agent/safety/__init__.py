"""The chemical-weapons safety screen: fails closed around Schedule 1 chemicals, on every route."""

from agent.safety.lists import SCHEDULE_1, ScheduleList, bundled_list, load_schedule_list
from agent.safety.normalise import fold
from agent.safety.screen import (
    REFUSAL,
    WITHHELD,
    SafetyScreen,
    ScreenResult,
    refers_back,
    strings,
)
from agent.safety.terms import asks_to_make, preparation_words

__all__ = [
    "REFUSAL",
    "SCHEDULE_1",
    "WITHHELD",
    "SafetyScreen",
    "ScheduleList",
    "ScreenResult",
    "asks_to_make",
    "bundled_list",
    "fold",
    "load_schedule_list",
    "preparation_words",
    "refers_back",
    "strings",
]
