"""Name resolution: built-in table and cache, OPSIN (real Java), PubChem (replay server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdkit import Chem

from tests.conftest import UNREACHABLE, run_cli
from tools.names.opsin import Opsin, OpsinUnavailable
from tools.names.resolver import NameNotFound, NameResolver, NameUnavailable, ResolveFailure
from tools.names.table import NameTable, Resolution, builtin_rows
from tools.pubchem import PubChemClient, PubChemSettings
from tools.pubchem.cache import AnswerCache
from tools.pubchem.ratelimit import RateLimiter

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def canon(smiles: str) -> str:
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


class CountingOpsin(Opsin):
    """The real OPSIN, counting JVM starts."""

    runs = 0

    def parse(self, names):  # type: ignore[no-untyped-def]
        type(self).runs += 1
        return super().parse(names)


@pytest.fixture
def make_resolver(tmp_path: Path):
    """Resolvers over the built-in table alone: these tests are about the passes after it
    (cache, OPSIN, PubChem), and the names they use (Temed, benzol...) are also in the offline
    name index, which would answer first (tests/test_name_index.py tests it in the chain)."""
    made: list[NameResolver] = []

    def make(
        api_base: str = UNREACHABLE, java: str = "java", orthonym: bool = True, **pubchem
    ) -> NameResolver:
        CountingOpsin.runs = 0
        cfg = PubChemSettings(api_base=api_base, backoff_s=0.01, **pubchem)
        r = NameResolver(
            table=NameTable(builtin_rows()),
            cache=AnswerCache(tmp_path / "names.sqlite"),
            opsin=CountingOpsin(java),
            pubchem=PubChemClient(cfg, tmp_path / "pubchem.sqlite", limiter=RateLimiter(5, 400)),
            orthonym=orthonym,
        )
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def test_opsin_parses_systematic_names_in_one_jvm_run():
    names = ["2-acetyloxybenzoic acid", "thionyl chloride", "N,N-diethylethanamine", "aspirin"]
    out = Opsin().parse(names)
    assert [canon(r.smiles) if r.smiles else None for r in out] == [
        canon(ASPIRIN),
        canon("O=S(Cl)Cl"),
        canon("CCN(CC)CC"),
        None,
    ]
    assert "aspirin" in (out[3].error or "")


def test_opsin_keeps_answers_aligned_when_a_name_has_a_newline():
    out = Opsin().parse(["propan-\n2-one", "ethanol"])
    assert out[1].smiles is not None and canon(out[1].smiles) == "CCO"


def test_missing_java_is_a_clear_error():
    with pytest.raises(OpsinUnavailable, match="Java .* was not found: install a Java runtime"):
        Opsin(java="no-such-java").parse(["ethanol"])


def test_resolution_order_and_sources(make_resolver, replay):
    r = make_resolver(replay.api_base)
    out = r.resolve_many(["aspirin", "2-acetyloxybenzoic acid", "Temed", "50-78-2"])
    assert all(isinstance(o, Resolution) for o in out)
    sources = [o.source for o in out if isinstance(o, Resolution)]
    assert sources == ["built-in table", "OPSIN", "PubChem CID 8037", "built-in table"]
    assert canon(out[1].smiles) == canon(ASPIRIN)
    assert CountingOpsin.runs == 1
    # PubChem was asked only for the name OPSIN could not parse.
    assert len(replay.hits) == 1


def test_second_resolution_comes_from_the_cache_without_java_or_network(make_resolver, replay):
    make_resolver(replay.api_base).resolve_many(["2-acetyloxybenzoic acid", "Temed"])
    hits = len(replay.hits)
    again = make_resolver(UNREACHABLE).resolve_many(["2-acetyloxybenzoic acid", "temed"])
    assert [o.where for o in again if isinstance(o, Resolution)] == [
        "OPSIN, from the local cache",
        "PubChem CID 8037, from the local cache",
    ]
    assert CountingOpsin.runs == 0
    assert len(replay.hits) == hits


def test_offline_misses_say_what_to_do(make_resolver):
    out = make_resolver(UNREACHABLE).resolve_many(["Temed"])[0]
    assert isinstance(out, ResolveFailure) and out.kind == "offline"
    assert "OPSIN cannot parse it" in out.error and "looks offline" in out.error
    off = make_resolver(UNREACHABLE, offline=True)
    with pytest.raises(NameUnavailable, match="offline mode"):
        off.resolve("Temed")


def test_unknown_name_is_not_found(make_resolver, replay):
    with pytest.raises(NameNotFound, match="unknown compound name 'unobtainium'"):
        make_resolver(replay.api_base).resolve("unobtainium")


def test_bad_cas_check_digit_is_rejected_before_any_lookup(make_resolver, replay):
    out = make_resolver(replay.api_base).resolve_many(["50-78-3"])[0]
    assert isinstance(out, ResolveFailure) and "check digit" in out.error
    assert replay.hits == [] and CountingOpsin.runs == 0


def test_without_java_pubchem_still_answers(make_resolver, replay):
    r = make_resolver(replay.api_base, java="no-such-java")
    out = r.resolve_many(["Temed", "unobtainium"])
    assert isinstance(out[0], Resolution) and out[0].source == "PubChem CID 8037"
    assert isinstance(out[1], ResolveFailure) and "OPSIN unavailable" in out[1].error


def test_a_dropped_connection_mid_batch_loses_nothing_else(make_resolver, replay):
    names = ["Temed", "Cillin", "guanidine hydrochloride", "1-bromopentane", "benzol"]
    replay.inject("drop", "drop")
    seen: list[str] = []
    out = make_resolver(replay.api_base, max_retries=0).resolve_many(
        names, progress=lambda q, _o: seen.append(q)
    )
    failed = [o for o in out if isinstance(o, ResolveFailure)]
    assert len(failed) == 2 and all("connection dropped" in f.error for f in failed)
    assert sum(isinstance(o, Resolution) for o in out) == 3
    assert sorted(seen) == sorted(names)
    # The rerun resolves the two that failed; the three that worked come from the cache.
    again = make_resolver(replay.api_base).resolve_many(names)
    assert all(isinstance(o, Resolution) for o in again)
    assert sum(o.cached for o in again if isinstance(o, Resolution)) == 3


def test_structure_to_name(make_resolver, replay):
    r = make_resolver(replay.api_base, orthonym=False)
    assert r.name_for("OC(=O)c1ccccc1O").name == "salicylic acid"  # built-in table
    named = r.name_for("BrCCC")
    assert (named.name, named.cid) == ("1-Bromopropane", 7840)
    with pytest.raises(NameUnavailable, match="PubChem could not be asked"):
        make_resolver(UNREACHABLE, orthonym=False).name_for("CCCCCCCCCCCCCCO")
    # With Orthonym (the default) the same structure is named offline, verified by OPSIN.
    offline = make_resolver(UNREACHABLE).name_for("CCCCCCCCCCCCCCO")
    assert (offline.name, offline.cid) == ("tetradecan-1-ol", None)


@pytest.mark.slow
def test_cli_resolve_works_with_the_network_unreachable(chemagent_home):
    # A systematic name the offline name index does not hold ("2-acetyloxybenzoic acid" is one
    # of aspirin's names there), so OPSIN reads it.
    proc = run_cli(
        "resolve", "aspirin", "2-acetyloxy-5-methylbenzoic acid", "--json", env_home=chemagent_home
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["source"] for r in rows] == ["built-in table", "OPSIN"]
    assert canon(rows[0]["smiles"]) == canon(ASPIRIN)
    assert canon(rows[1]["smiles"]) == canon("CC(=O)Oc1ccc(C)cc1C(=O)O")


@pytest.mark.slow
def test_cli_resolve_reports_offline_misses_and_exits_1(chemagent_home):
    # Kolliphor (a trade name PubChem knows) is in none of the offline dictionaries.
    proc = run_cli(
        "resolve", "ethanol", "Kolliphor", "--offline", "--json", env_home=chemagent_home
    )
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)
    assert rows[0]["ok"] and rows[1]["kind"] == "offline"
    assert "offline mode" in rows[1]["error"]
    assert "1 of 2 names not resolved" in proc.stderr


@pytest.mark.slow
def test_cli_resolve_reads_a_file_against_the_replay_server(chemagent_home, replay, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("triethylamine\n\nCillin\n")
    # The replay fixture points CHEMAGENT_PUBCHEM__API_BASE at itself; the CLI inherits it.
    proc = run_cli("resolve", "--file", str(names), "--json", env_home=chemagent_home)
    assert proc.returncode == 0, proc.stderr
    assert [r["query"] for r in json.loads(proc.stdout)] == ["triethylamine", "Cillin"]
