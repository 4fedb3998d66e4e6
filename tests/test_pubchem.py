"""The PubChem client against the replay server: real HTTP, recorded PubChem answers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from rdkit import Chem

from tests.conftest import UNREACHABLE
from tools.pubchem import (
    PubChemClient,
    PubChemNotFound,
    PubChemSettings,
    PubChemUnavailable,
)
from tools.pubchem.ratelimit import RateLimiter


def canon(smiles: str) -> str:
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


def client(srv, tmp_path: Path, **settings) -> PubChemClient:
    cfg = PubChemSettings(api_base=srv.api_base, backoff_s=0.01, **settings)
    # A fresh limiter per test: each test sees PubChem's policy on its own requests.
    return PubChemClient(cfg, tmp_path / "pubchem.sqlite", limiter=RateLimiter(5, 400))


# Expected values are chemistry, written from the compounds' known structures.
RECORDED = [
    ("benzene", "name", 241, "C6H6", "c1ccccc1"),
    ("50-01-1", "name", 5742, "CH6ClN3", "NC(=N)N.Cl"),
    ("CCCBr", "smiles", 7840, "C3H7Br", "CCCBr"),
    ("c1ccccc1", "smiles", 241, "C6H6", "c1ccccc1"),
    ("IJGRMHOSHXDMSA-UHFFFAOYSA-N", "inchikey", 947, "N2", "N#N"),
]
VIEW_ONLY = [
    ("triethylamine", 8471, "C6H15N", "CCN(CC)CC"),
    ("ethylene glycol", 174, "C2H6O2", "OCCO"),
    ("Temed", 8037, "C6H16N2", "CN(C)CCN(C)C"),
    ("1-bromopentane", 8057, "C5H11Br", "CCCCCBr"),
    ("guanidine hydrochloride", 5742, "CH6ClN3", "NC(=N)N.Cl"),
    ("Cillin", 2349, "C16H18N2O4S", "CC1(C)SC2C(NC(=O)Cc3ccccc3)C(=O)N2C1C(=O)O"),
]


@pytest.mark.parametrize(("ident", "ns", "cid", "formula", "smiles"), RECORDED)
def test_recorded_full_records_resolve_to_the_right_compound(
    replay, tmp_path, ident, ns, cid, formula, smiles
):
    rec = client(replay, tmp_path).compounds(ident, ns)[0]
    assert (rec.cid, rec.formula) == (cid, formula)
    assert canon(rec.smiles) == canon(smiles)
    assert Chem.MolToInchiKey(Chem.MolFromSmiles(smiles)) == rec.inchikey


@pytest.mark.parametrize(("ident", "ns", "cid", "formula", "smiles"), RECORDED)
def test_property_lookup_agrees_with_the_full_record(
    replay, tmp_path, ident, ns, cid, formula, smiles
):
    rec = client(replay, tmp_path).lookup(ident)
    assert (rec.cid, rec.formula) == (cid, formula)
    assert canon(rec.smiles) == canon(smiles)


@pytest.mark.parametrize(("name", "cid", "formula", "smiles"), VIEW_ONLY)
def test_names_and_synonyms_resolve(replay, tmp_path, name, cid, formula, smiles):
    rec = client(replay, tmp_path).lookup(name)
    assert (rec.cid, rec.formula) == (cid, formula)
    assert canon(rec.smiles) == canon(smiles)
    assert rec.source == f"PubChem CID {cid}"


def test_unknown_name_is_a_clear_not_found(replay, tmp_path):
    with pytest.raises(PubChemNotFound, match="no compound for name 'unobtainium'"):
        client(replay, tmp_path).lookup("unobtainium")
    assert [h.status for h in replay.hits] == [404]


def test_valid_structure_missing_from_pubchem_says_so(replay, tmp_path):
    with pytest.raises(PubChemNotFound, match="valid but not in PubChem"):
        client(replay, tmp_path).compounds("COOOOOOOOOOC", "smiles")


def test_server_busy_is_retried_until_it_succeeds(replay, tmp_path):
    replay.inject("busy", "busy")
    c = client(replay, tmp_path)
    assert c.lookup("benzene").cid == 241
    assert [h.status for h in replay.hits] == [503, 503, 200]
    assert c.stats.retries == 2


def test_persistent_throttling_gives_up_with_advice(replay, tmp_path):
    replay.inject(*["busy"] * 3)
    with pytest.raises(PubChemUnavailable, match="throttling") as err:
        client(replay, tmp_path, max_retries=2).lookup("benzene")
    assert err.value.reason == "throttled"
    assert len(replay.hits) == 3


@pytest.mark.parametrize("fault", ["malformed", "drop", "gateway_timeout"])
def test_transient_faults_are_retried(replay, tmp_path, fault):
    replay.inject(fault)
    c = client(replay, tmp_path)
    assert c.lookup("triethylamine").cid == 8471
    assert c.stats.requests == 2


def test_slow_answer_times_out_and_is_retried(replay, tmp_path):
    # The retry must arrive within timeout_s: a normal replay answer took 2-45 ms on a loaded
    # 2-core machine, so 2 s leaves a slower one about 40x room (0.5 s left 10x), and the slow
    # answer still overshoots the timeout by 2 s.
    replay.faults.slow_s = 4.0
    replay.inject("slow")
    c = client(replay, tmp_path, timeout_s=2.0)
    assert c.lookup("benzene").cid == 241
    assert c.stats.retries == 1


def test_malformed_answers_are_not_cached(replay, tmp_path):
    replay.inject("malformed")
    with pytest.raises(PubChemUnavailable, match="malformed"):
        client(replay, tmp_path, max_retries=0).lookup("benzene")
    assert client(replay, tmp_path).lookup("benzene").from_cache is False


def test_second_lookup_comes_from_the_cache(replay, tmp_path):
    c = client(replay, tmp_path)
    assert c.lookup("benzene").from_cache is False
    again = c.lookup("benzene")
    assert again.from_cache is True and again.source == "PubChem CID 241 (cache)"
    assert len(replay.hits) == 1
    # Not-found answers are definite and cached too.
    for _ in range(2):
        with pytest.raises(PubChemNotFound):
            c.lookup("unobtainium")
    assert len(replay.hits) == 2
    assert c.stats.hit_rate == pytest.approx(2 / 4)


def test_expired_answers_are_fetched_again(replay, tmp_path):
    client(replay, tmp_path).lookup("benzene")
    client(replay, tmp_path, cache_ttl_days=1e-9).lookup("benzene")
    assert len(replay.hits) == 2


def test_stale_answer_is_used_when_pubchem_is_unavailable(replay, tmp_path):
    client(replay, tmp_path).lookup("benzene")
    replay.inject("busy", "busy")
    c = client(replay, tmp_path, cache_ttl_days=1e-9, max_retries=1)
    rec = c.lookup("benzene")
    assert rec.cid == 241 and rec.from_cache
    assert c.stats.stale_served == 1


def test_offline_mode_answers_from_cache_and_says_so_for_misses(replay, tmp_path):
    client(replay, tmp_path).lookup("benzene")
    seen = len(replay.hits)
    off = client(replay, tmp_path, offline=True)
    assert off.lookup("benzene").from_cache
    with pytest.raises(
        PubChemUnavailable, match="offline mode: .*not in the local PubChem cache"
    ) as e:
        off.lookup("triethylamine")
    assert e.value.reason == "offline_mode"
    assert len(replay.hits) == seen


def test_unreachable_pubchem_is_reported_as_offline_without_retrying(tmp_path):
    waits: list[float] = []
    c = PubChemClient(
        PubChemSettings(api_base=UNREACHABLE), tmp_path / "c.sqlite", sleep=waits.append
    )
    with pytest.raises(PubChemUnavailable, match="looks offline") as e:
        c.lookup("benzene")
    assert e.value.reason == "offline"
    assert c.stats.requests == 1
    assert waits == []  # no backoff: an offline machine is reported at once


def test_ghs_hazards_of_benzene(replay, tmp_path):
    ghs = client(replay, tmp_path).ghs(241)
    codes = {s.code for s in ghs.statements}
    # Benzene: highly flammable (H225), carcinogen (H350), mutagen (H340).
    assert {"H225", "H350", "H340"} <= codes
    assert ghs.signal == "Danger"
    assert any(p.startswith("GHS02") for p in ghs.pictograms)
    assert ghs.sources > 1
    # Only the section asked for travelled: the replay server prunes like PubChem does.
    assert "heading=GHS+Classification" in replay.hits[0].path


def test_cas_numbers_come_from_synonyms(replay, tmp_path):
    c = client(replay, tmp_path)
    assert "107-21-1" in c.cas_numbers(174)
    assert "121-44-8" in c.cas_numbers(8471)
    assert "ethane-1,2-diol" in {s.lower() for s in c.synonyms(174)}


class _RecordingLimiter(RateLimiter):
    """Notes when each slot was granted: the policy is on the time a request is sent.

    Arrival times at the replay server add the machine's scheduling jitter (a loaded CI runner
    delayed one request until six arrived within a second), so they cannot test the limiter.
    """

    def __init__(self) -> None:
        super().__init__(5, 400)
        self.granted: list[float] = []
        self._granted_lock = threading.Lock()

    def acquire(self) -> float:
        waited = super().acquire()
        with self._granted_lock:
            self.granted.append(self._sent[-1])
        return waited


def test_threads_share_the_rate_limit(replay, tmp_path):
    limiter = _RecordingLimiter()
    cfg = PubChemSettings(api_base=replay.api_base, backoff_s=0.01, cache_ttl_days=1e-9)
    c = PubChemClient(cfg, tmp_path / "pubchem.sqlite", limiter=limiter)
    names = ["benzene", "triethylamine", "ethylene glycol", "Temed", "Cillin", "1-bromopentane"]

    def work() -> None:
        for n in names:
            c.lookup(n)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every request the server saw took a slot of the one limiter, and no six slots share a second.
    assert len(replay.hits) == len(limiter.granted) == 18
    sent = sorted(limiter.granted)
    assert all(later - first >= 1.0 for first, later in zip(sent, sent[5:], strict=False))


def test_rate_limiter_keeps_both_windows():
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    lim = RateLimiter(5, 12, clock=lambda: now[0], sleep=sleep)
    sent = []
    for _ in range(13):
        lim.acquire()
        sent.append(now[0])
    for i in range(len(sent) - 5):
        assert sent[i + 5] - sent[i] >= 1.0  # never six in one second
    assert sent[12] - sent[0] >= 60.0  # the 13th waits for the minute window


def test_rate_limits_cannot_exceed_pubchem_policy():
    with pytest.raises(ValueError):
        PubChemSettings(max_per_second=10)
    with pytest.raises(ValueError):
        PubChemSettings(max_per_minute=1000)
