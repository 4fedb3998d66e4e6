"""Pure question analysis: candidate name spans, list members, comparisons, follow-ups."""

from __future__ import annotations

import pytest

from agent.intents import vocabulary
from agent.planners.compare import find_comparison, is_follow_up
from agent.planners.spans import candidate_spans, list_members

WORDS = vocabulary().words


def spans(text: str) -> list[str]:
    return [s for _, _, s in candidate_spans(text, [], WORDS)]


def test_locant_names_stay_one_word_and_come_longest_first():
    out = spans("How many heavy atoms in 2,2,4-trimethylpentane?")
    assert out[0] == "2,2,4-trimethylpentane"
    out = spans("the MW of 3-methylbutan-1-ol for a calculation")
    assert "3-methylbutan-1-ol" in out and "calculation" not in " ".join(out)
    multi = spans("Reduce methyl benzoate with LiAlH4")
    assert multi.index("methyl benzoate") < multi.index("benzoate")


def test_question_and_intent_words_are_never_name_candidates():
    assert spans("What is the logP and TPSA of the compound?") == []
    assert spans("Which is more lipophilic?") == []


def test_list_members_are_found_beside_molecules_only():
    text = "Molecular weight of aspirin, Flobberwort and caffeine"
    a, c = text.index("aspirin"), text.index("caffeine")
    found = list_members(text, [(a, a + 7), (c, c + 8)], [], WORDS)
    assert [w for _, _, w in found] == ["Flobberwort"]
    text = "What is the logP of aspirin and its TPSA?"
    a = text.index("aspirin")
    assert list_members(text, [(a, a + 7)], [], WORDS) == []


@pytest.mark.parametrize(
    ("text", "field", "direction", "rank"),
    [
        ("Which is more lipophilic, _______ or _________?", "logp", "high", False),
        ("Which is less lipophilic: ____ or ____?", "logp", "low", False),
        ("Which is heavier, ____ or ____?", "molecular_weight", "high", False),
        ("Which is the most polar of ___, ___ and ___?", "tpsa", "high", False),
        ("Rank ___, ___ and ___ by molecular weight", "molecular_weight", "high", True),
        ("Which of ___, ___ has the lowest logP?", "logp", "low", False),
    ],
)
def test_comparisons_read_field_and_direction(text, field, direction, rank):
    vocab = vocabulary()
    intents = [i for i in vocab.intents if i.find(text)]
    c = find_comparison(text, intents, vocab)
    assert c is not None and (c.field, c.direction, c.rank) == (field, direction, rank)


def test_a_plain_property_question_is_not_a_comparison():
    vocab = vocabulary()
    text = "What is the logP of ______?"
    assert find_comparison(text, [i for i in vocab.intents if i.find(text)], vocab) is None


@pytest.mark.parametrize(
    ("question", "follow"),
    [
        ("What about ketoprofen?", True),
        ("and for caffeine?", True),
        ("Same for urea", True),
        ("How about lorazepam?", True),
        ("What is the logP of aspirin?", False),
        ("Andrographolide logP?", False),
    ],
)
def test_follow_up_shapes(question, follow):
    assert is_follow_up(question) is follow
