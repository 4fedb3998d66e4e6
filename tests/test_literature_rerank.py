"""LLM re-ranking of literature search: the model's scores re-order the passages, its summaries
are shown as its own and only when their numbers are in the passage, a bad reply leaves the
retrieval order with a note, and the whole stage costs one model call. Driven by a scripted
model, by the OpenAI backend against a real HTTP server, and through the agent."""

from __future__ import annotations

import json

import pytest

from models.errors import BackendUnavailable
from tests.llm_servers import ScriptedHTTP, chat_reply
from tests.test_llm_planner import Scripted
from tools.literature.documents import JsonlFields
from tools.literature.index import Hit, LiteratureIndex
from tools.literature.rerank import (
    SUMMARY_CHARS,
    Reranker,
    judgement_schema,
    reply_tokens,
    unsupported_numbers,
)
from tools.literature.settings import LiteratureSettings
from tools.literature.tools import IndexHandle, literature_tools

PAPERS = [
    ("p-yield", "Suzuki coupling", "The Suzuki coupling of 4-bromoanisole gave the biaryl in "
     "92% yield at 80 C with 1 mol% Pd(PPh3)4."),
    ("p-ligand", "Ligands for coupling", "Bulky phosphine ligands speed the oxidative addition "
     "step of palladium coupling reactions."),
    ("p-soil", "Soil report", "Coupling of soil moisture sensors to loggers was checked weekly "
     "during the field campaign."),
]  # fmt: skip
QUESTION = "What yield did the Suzuki coupling of 4-bromoanisole give?"


def hit(doc: str, text: str, i: int) -> Hit:
    return Hit(doc_id=doc, title=doc, page=None, start=0, end=len(text), text=text, score=1.0,
               chunk_id=i)  # fmt: skip


HITS = [hit(d, x, i) for i, (d, _, x) in enumerate(reversed(PAPERS))]  # soil, ligand, yield


def reply(*judgements: tuple[int, int, str]) -> str:
    return json.dumps(
        {"judgements": [{"n": n, "relevance": r, "summary": s} for n, r, s in judgements]}
    )


def test_scores_reorder_passages_and_irrelevant_ones_go_last():
    model = Scripted(
        [reply((1, 0, "Not relevant."), (2, 4, "Ligands speed coupling."), (3, 9, "92% yield."))]
    )
    out = Reranker(model, "ChemDFM", candidates=3).rerank(QUESTION, HITS)
    assert [r.hit.doc_id for r in out.ranked] == ["p-yield", "p-ligand", "p-soil"]
    assert [r.relevance for r in out.ranked] == [9, 4, 0]
    assert out.model_calls == 1 and out.note is None
    # One request for all candidates; passage numbers in the schema are only those shown.
    (messages, schema), = model.calls  # fmt: skip
    assert schema == judgement_schema(3)
    assert schema["properties"]["judgements"]["items"]["properties"]["n"]["enum"] == [1, 2, 3]
    assert '<passage n="3" doc="p-yield">' in messages[-1].content


def test_a_summary_with_a_number_not_in_its_passage_is_dropped_but_the_score_kept():
    model = Scripted([reply((1, 0, "No."), (2, 2, "About ligands."), (3, 8, "Gave 95% yield."))])
    out = Reranker(model, "ChemDFM", candidates=3).rerank(QUESTION, HITS)
    top = out.ranked[0]
    assert top.hit.doc_id == "p-yield" and top.relevance == 8 and top.summary is None
    assert out.summaries_dropped == ["passage 3: 95 not in the passage"]
    assert unsupported_numbers("92% at 80 C with 1 mol%", PAPERS[0][2]) == []


@pytest.mark.parametrize(
    "bad",
    [
        BackendUnavailable("connection refused"),
        "not json at all",
        json.dumps({"judgements": [{"n": 1, "relevance": 11, "summary": "x"}]}),
        reply((7, 5, "a passage that was not shown")),
    ],
)
def test_an_unusable_reply_leaves_the_retrieval_order_and_says_why(bad):
    out = Reranker(Scripted([bad]), "ChemDFM", candidates=3).rerank(QUESTION, HITS)
    assert [r.hit.doc_id for r in out.ranked] == [h.doc_id for h in HITS]
    assert out.note and out.note.startswith("ChemDFM") and out.model_calls == 1


@pytest.mark.parametrize("n", [2, 8, 20])
def test_the_token_limit_fits_the_longest_reply_the_schema_allows_at_a_character_a_token(n):
    longest = reply(*[(n, 10, "x" * SUMMARY_CHARS) for n in range(1, n + 1)])
    assert len(longest) <= reply_tokens(n) < len(longest) + 64 * n


def test_only_the_candidates_are_judged_and_the_rest_follow_in_order():
    model = Scripted([reply((1, 1, "Soil."), (2, 6, "Ligands."))])
    out = Reranker(model, "m", candidates=2).rerank(QUESTION, HITS)
    assert [r.hit.doc_id for r in out.ranked] == ["p-ligand", "p-soil", "p-yield"]
    assert out.ranked[2].relevance is None


def test_the_openai_backend_sends_the_schema_and_reads_the_reply_over_http():
    from models.backends import load_chat_model
    from models.settings import ModelSettings

    server = ScriptedHTTP([(200, chat_reply(reply((1, 0, "No."), (2, 3, "L."), (3, 9, "92%."))))])
    try:
        llm = load_chat_model(ModelSettings(url=server.url, retries=0), "chemdfm-v1.5-8b")
        out = Reranker(llm, "ChemDFM", candidates=3).rerank(QUESTION, HITS)
    finally:
        server.close()
    assert out.ranked[0].hit.doc_id == "p-yield" and out.ranked[0].summary == "92%."
    body = server.requests[0]
    sent = json.dumps(body)
    assert '"enum": [1, 2, 3]' in sent  # the schema went with the request (guided decoding)
    assert "4-bromoanisole" in body["messages"][-1]["content"]


@pytest.fixture(scope="module")
def handle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rerank")
    corpus = folder / "papers.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in PAPERS)
    )
    index = LiteratureIndex(folder / "index", LiteratureSettings())
    index.add([corpus], JsonlFields(id="id", title="title", text="text"))
    h = IndexHandle(index.dir, LiteratureSettings())
    h._index = index
    yield h
    index.close()


class ByDoc(Scripted):
    """Scores the passages it is shown by their documents, whatever order retrieval gives;
    any other request (a plan, an answer) fails as a server that is down would."""

    def __init__(self, scores: dict[str, int]) -> None:
        super().__init__([])
        self.scores = scores

    def complete_json(self, messages, schema, gen=None) -> str:
        self.calls.append((messages, schema))
        if "judgements" not in schema.get("properties", {}):
            raise BackendUnavailable("this scripted model only judges passages")
        docs = [part.split('"')[0] for part in messages[-1].content.split('doc="')[1:]]
        return reply(*[(n, self.scores[d], f"About {d}.") for n, d in enumerate(docs, start=1)])


def test_the_tool_shows_relevant_passages_in_the_models_order_with_summaries(handle):
    model = ByDoc({"p-yield": 9, "p-ligand": 3, "p-soil": 0})
    tool = {t.name: t for t in literature_tools(handle, reranker=Reranker(model, "ChemDFM", 3))}
    res = tool["search_literature"].run({"query": QUESTION, "k": 3})
    passages = res.data["passages"]
    assert [p["doc_id"] for p in passages] == ["p-yield", "p-ligand"]  # p-soil judged 0: left out
    assert passages[0]["summary"] == "About p-yield." and passages[0]["relevance"] == 9
    assert res.data["model_calls"] == 1 and res.data["judged_irrelevant"] == 1
    assert res.data["reranked_by"] == "ChemDFM"


def test_when_every_passage_is_judged_irrelevant_they_are_shown_as_retrieved_with_a_note(handle):
    model = ByDoc({"p-yield": 0, "p-ligand": 0, "p-soil": 0})
    tool = {t.name: t for t in literature_tools(handle, reranker=Reranker(model, "ChemDFM", 3))}
    res = tool["search_literature"].run({"query": QUESTION, "k": 3})
    assert len(res.data["passages"]) == 3
    assert "judged none of the 3 closest passages relevant" in res.summary
    assert all("summary" not in p for p in res.data["passages"])


def test_the_agent_cites_the_summary_with_its_passage_and_counts_the_call(handle, tmp_path):
    from agent import Assistant

    model = ByDoc({"p-yield": 9, "p-ligand": 2, "p-soil": 0})
    settings = {"home": str(tmp_path), "literature": {"rerank": True, "index_dir": str(handle.dir)}}
    with Assistant(settings, llm=model) as a:
        ans = a.ask("What does the literature say about the Suzuki coupling of 4-bromoanisole?")
    assert [s.tool for s in ans.steps if s.tool.startswith("search_lit")] == ["search_literature"]
    lines = ans.text.splitlines()
    at = next(i for i, line in enumerate(lines) if "92% yield" in line)
    assert lines[at + 1].strip() == ("ChemDFM's summary (not verified by a tool): About p-yield.")
    cited = next(c for c in ans.citations if c.passage and c.passage.doc_id == "p-yield")
    assert f"[{cited.number}]" in lines[at]
    assert ans.usage.get("model_calls", 0) >= 1
    assert not any("soil" in line.lower() for line in lines)
    assert (
        "  1 of the 3 passages ChemDFM read were judged not relevant to the question and "
        "left out." in ans.text
    )


def test_without_the_setting_no_model_reads_the_passages(handle, tmp_path):
    from agent import Assistant

    model = ByDoc({"p-yield": 9, "p-ligand": 2, "p-soil": 0})
    settings = {"home": str(tmp_path), "literature": {"index_dir": str(handle.dir)}}
    with Assistant(settings, llm=model) as a:
        ans = a.ask("What does the literature say about the Suzuki coupling of 4-bromoanisole?")
    assert not any('doc="' in m[-1].content for m, _ in model.calls)
    assert "summary (not verified" not in ans.text
