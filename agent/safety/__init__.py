"""The chemical-weapons safety screen: on the question, across the thread, and on the answer."""

from agent.safety.lists import SCHEDULE_1, ScheduleList, bundled_list, load_schedule_list
from agent.safety.screen import SafetyScreen, ScreenResult, refers_back
from agent.safety.terms import asks_to_make, fold, preparation_words

__all__ = [
    "SCHEDULE_1",
    "SafetyScreen",
    "ScheduleList",
    "ScreenResult",
    "asks_to_make",
    "bundled_list",
    "fold",
    "load_schedule_list",
    "preparation_words",
    "refers_back",
]
