"""Benchmark tasks by name (`chemagent eval --list`)."""

from __future__ import annotations

from evals.tasks.base import Task
from evals.tasks.chemdfm import chemdfm_tasks
from evals.tasks.chemllmbench import llmbench_tasks
from evals.tasks.literature import ChemLitQATask, LiteratureRecallTask
from evals.tasks.moleculenet import MoleculeNetTask
from evals.tasks.ocsr import OCSRTask
from evals.tasks.pubmedqa import PubMedQATask
from evals.tasks.scieval import SciEvalTask


class UnknownTask(ValueError):
    """A task name that is not registered."""


def all_tasks() -> dict[str, Task]:
    tasks: dict[str, Task] = {t.name: t for t in chemdfm_tasks()}
    more: list[Task] = [
        *llmbench_tasks(),
        *(MoleculeNetTask(ep) for ep in ("bace", "bbbp", "clintox", "hiv", "tox21")),
        OCSRTask(),
        SciEvalTask(),
        PubMedQATask(),
        LiteratureRecallTask(),
        ChemLitQATask(),
    ]
    tasks.update((t.name, t) for t in more)
    return tasks


def get_task(name: str) -> Task:
    try:
        return all_tasks()[name]
    except KeyError:
        raise UnknownTask(f"unknown task {name!r}; `chemagent eval --list` lists them") from None
