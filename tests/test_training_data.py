"""Training data: packing, dialogues and their loss mask, mixing, leakage, builders, images."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from training.data.dialogue import IGNORE, Dialogue, Turn, read_dialogues, tokenize_dialogue


@pytest.fixture(scope="module")
def tokenizer():
    from models.tiny import train_tokenizer

    return train_tokenizer(2048)


def _dialogue(*turns: str) -> Dialogue:
    roles = ["user", "assistant"] * len(turns)
    return Dialogue(messages=[Turn(role=r, content=t) for r, t in zip(roles, turns, strict=False)])


# -- corpus and packing ------------------------------------------------------------------------
def test_documents_come_from_jsonl_fields_chebi_tables_and_folders(tmp_path):
    from training.data.corpus import read_documents

    (tmp_path / "a.jsonl").write_text(
        json.dumps({"title": "T1", "abstract": "A1"}) + "\n" + json.dumps({"title": "T2"}) + "\n"
    )
    (tmp_path / "chebi.txt").write_text("CID\tSMILES\tdescription\n1\tCCO\tethanol is a solvent\n")
    assert list(read_documents(tmp_path / "a.jsonl", ["title", "abstract"])) == ["T1\nA1", "T2"]
    assert list(read_documents(tmp_path / "chebi.txt", ["SMILES", "description"])) == [
        "CCO\nethanol is a solvent"
    ]
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "b.txt").write_text("paper two")
    (folder / "a.txt").write_text("paper one")
    assert list(read_documents(folder, ["text"])) == ["paper one", "paper two"]
    assert list(read_documents(tmp_path / "a.jsonl", ["title"], limit=1)) == ["T1"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(read_documents(tmp_path / "missing.jsonl", ["text"]))


def test_packing_streams_documents_with_eos_between_them(tokenizer, tmp_path):
    from training.data.packing import PackedDataset, pack_corpus

    docs = [f"Compound {i} has the SMILES C{'C' * i}O and melts at {i * 10} C." for i in range(40)]
    consumed = []

    def stream():  # a generator: the packer never needs the corpus as a list
        for d in docs:
            consumed.append(d)
            yield d

    meta = pack_corpus(stream(), tokenizer, tmp_path / "packed", seq_len=16)
    expected = []
    for d in docs:
        expected += tokenizer(d, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    data = PackedDataset(tmp_path / "packed")
    assert consumed == docs and meta.n_documents == 40
    assert isinstance(data.tokens, np.memmap)
    assert data.tokens.tolist() == expected
    assert len(data) == len(expected) // 16
    assert data.batch(0, 1, seed=0)[0].tolist() in [
        expected[i * 16 : (i + 1) * 16] for i in range(len(data))
    ]


def test_batches_are_a_function_of_step_and_seed_and_cover_each_epoch(tokenizer, tmp_path):
    from training.data.packing import PackedDataset, pack_corpus

    pack_corpus((f"molecule {i} " * 5 for i in range(60)), tokenizer, tmp_path / "p", seq_len=8)
    data = PackedDataset(tmp_path / "p")
    n = len(data)
    again = PackedDataset(tmp_path / "p")
    assert np.array_equal(data.batch(3, 4, seed=1), again.batch(3, 4, seed=1))
    assert not np.array_equal(data.batch(0, 4, seed=1), data.batch(0, 4, seed=2))
    rows = {tuple(r) for r in np.concatenate([data.batch(k, 1, seed=0) for k in range(n)])}
    every = {tuple(data.tokens[i * 8 : (i + 1) * 8]) for i in range(n)}
    assert rows == every  # one epoch = every sequence once
    second = [tuple(data.batch(k, 1, seed=0)[0]) for k in range(n, 2 * n)]
    first = [tuple(data.batch(k, 1, seed=0)[0]) for k in range(n)]
    assert set(second) == every and second != first  # the next epoch is reshuffled


def test_a_failed_packing_leaves_no_folder_and_a_changed_source_repacks(tokenizer, tmp_path):
    from training.data.packing import META, load_or_pack

    def broken():
        yield "benzene " * 50
        raise OSError("disk went away")

    with pytest.raises(OSError):
        load_or_pack(broken(), tokenizer, tmp_path / "p", 8, ["a"])
    assert not (tmp_path / "p").exists()
    first = load_or_pack(iter(["benzene " * 50]), tokenizer, tmp_path / "p", 8, ["a"])
    same = load_or_pack(iter(["toluene " * 80]), tokenizer, tmp_path / "p", 8, ["a"])
    assert same.meta == first.meta  # same sources and tokenizer: reused, not re-read
    other = load_or_pack(iter(["toluene " * 80]), tokenizer, tmp_path / "p", 8, ["b"])
    assert other.meta.n_tokens != first.meta.n_tokens
    assert json.loads((tmp_path / "p" / META).read_text())["fingerprint"] == other.meta.fingerprint


def test_a_corpus_shorter_than_one_sequence_is_a_clear_error(tokenizer, tmp_path):
    from training.data.packing import pack_corpus

    with pytest.raises(ValueError, match="fewer than one sequence"):
        pack_corpus(["CCO"], tokenizer, tmp_path / "p", seq_len=512)


# -- dialogues and the loss mask ---------------------------------------------------------------
def test_loss_mask_covers_exactly_the_assistant_tokens(tokenizer):
    from models.formats import CHEMDFM_TEMPLATE

    d = _dialogue("What is CCO?", "Ethanol, C2H6O.", "And its weight?", "46.07 g/mol")
    ids, labels = tokenize_dialogue(tokenizer, d, CHEMDFM_TEMPLATE, 10_000)
    assert len(ids) == len(labels)
    runs, current = [], []
    for tok, lab in zip(ids, labels, strict=True):
        if lab == IGNORE:
            if current:
                runs.append(current)
            current = []
        else:
            assert lab == tok
            current.append(tok)
    if current:
        runs.append(current)
    # two assistant turns, each exactly " <content></s>" as the template renders it
    assert [tokenizer.decode(r) for r in runs] == [" Ethanol, C2H6O.</s>", " 46.07 g/mol</s>"]
    prompt = tokenizer.decode([t for t, lab in zip(ids, labels, strict=True) if lab == IGNORE])
    assert "Human: What is CCO?" in prompt and "Ethanol" not in prompt


def test_loss_mask_follows_another_chat_template(tokenizer):
    chatml = (
        "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
    )
    d = Dialogue(
        messages=[
            Turn(role="system", content="Be brief."),
            Turn(role="user", content="Formula of benzene?"),
            Turn(role="assistant", content="C6H6"),
        ]
    )
    ids, labels = tokenize_dialogue(tokenizer, d, chatml, 10_000)
    assert tokenizer.decode([t for t in labels if t != IGNORE]) == "C6H6</s>"


def test_a_template_that_rewrites_earlier_turns_is_refused(tokenizer):
    numbered = "{{ messages | length }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    with pytest.raises(ValueError, match="incrementally"):
        tokenize_dialogue(tokenizer, _dialogue("q", "a"), numbered, 100)


def test_dialogues_load_from_messages_sharegpt_and_alpaca_rows(tmp_path):
    path = tmp_path / "mixed.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]},
        {"conversations": [{"from": "human", "value": "q2"}, {"from": "gpt", "value": "a2"}]},
        {"instruction": "Summarise", "input": "text", "output": "a3"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = [[(m.role, m.content) for m in d.messages] for d in read_dialogues(path)]
    assert got == [
        [("user", "q1"), ("assistant", "a1")],
        [("user", "q2"), ("assistant", "a2")],
        [("user", "Summarise\n\ntext"), ("assistant", "a3")],
    ]
    path.write_text(json.dumps({"prompt": "x"}) + "\n")
    with pytest.raises(ValueError, match=r"mixed.jsonl:1"):
        list(read_dialogues(path))


# -- mixing ------------------------------------------------------------------------------------
def test_mixer_keeps_the_ratio_and_is_deterministic():
    from training.data.mixer import mix

    chem = [_dialogue(f"c{i}", "x") for i in range(30)]
    general = [_dialogue(f"g{i}", "y") for i in range(100)]
    out = mix(chem, general, (1, 2), seed=0)
    n_chem = sum(d.messages[0].content.startswith("c") for d in out)
    assert (n_chem, len(out) - n_chem) == (30, 60)
    assert [d.messages[0].content for d in mix(chem, general, (1, 2), seed=0)] == [
        d.messages[0].content for d in out
    ]
    few = mix(chem, general[:20], (1, 2), seed=0)  # too little general data: chemistry subsampled
    assert sum(d.messages[0].content.startswith("c") for d in few) == 10 and len(few) == 30
    with pytest.raises(ValueError):
        mix(chem, general, (0, 0), seed=0)


# -- leakage -----------------------------------------------------------------------------------
def _fake_shared(root: Path) -> Path:
    """A shared-data folder with one evaluation file and one MoleculeNet CSV."""
    (root / "eval" / "bench").mkdir(parents=True)
    (root / "eval" / "bench" / "test.jsonl").write_text(
        json.dumps({"input": "Is CC(=O)Oc1ccccc1C(=O)O BBB permeable?", "output": "Yes"})
        + "\n"
        + json.dumps({"input": "Product of CCO.CC(=O)O>>?", "output": "CCOC(C)=O"})
        + "\n"
    )
    (root / "moleculenet" / "chemprop_2019").mkdir(parents=True)
    rows = ["smiles,y"] + [
        f"{'C' * (i % 7 + 1)}c1ccc{'c' * 0}cc1{'N' * (i % 3)},1" for i in range(10)
    ]
    (root / "moleculenet" / "chemprop_2019" / "toy.csv").write_text("\n".join(rows) + "\n")
    return root


def test_leakage_check_removes_a_planted_evaluation_molecule(tmp_path):
    from training.data.leakage import evaluation_molecules, remove_leaks

    forbidden = evaluation_molecules(_fake_shared(tmp_path))
    planted = [
        _dialogue("Describe OC(=O)c1ccccc1OC(C)=O", "Aspirin."),  # aspirin, written differently
        _dialogue("What is ethyl acetate's SMILES?", "CCOC(C)=O."),  # a reaction product
        _dialogue("Is the mixture CCOC(C)=O.O safe?", "Yes"),  # inside a dotted mixture
    ]
    clean = [_dialogue("Describe c1ccncc1", "Pyridine."), _dialogue("Say hi", "Hi, CNS!")]
    for d, src in zip(planted + clean, ["a", "b", "c", "d", "e"], strict=True):
        d.source = src
    kept, report = remove_leaks(planted + clean, forbidden)
    assert [d.source for d in kept] == ["d", "e"]
    assert report.removed == 3 and report.kept == 2
    assert report.removed_by_benchmark == {"eval/bench/test.jsonl": 3}
    assert "CC(=O)Oc1ccccc1C(=O)O" in report.examples


def test_moleculenet_scaffold_test_molecules_are_forbidden(tmp_path):
    import csv

    from tools.predict.split import scaffold_split
    from training.data.leakage import evaluation_molecules, molecule_key

    shared = _fake_shared(tmp_path)
    smiles = [
        r["smiles"] for r in csv.DictReader((shared / "moleculenet/chemprop_2019/toy.csv").open())
    ]
    split = scaffold_split(smiles)
    forbidden = evaluation_molecules(shared)
    assert split.test
    assert all(molecule_key(smiles[i]) in forbidden for i in split.test)
    only_train = {molecule_key(smiles[i]) for i in split.train} - {
        molecule_key(smiles[i]) for i in split.test
    }
    assert not any(k in forbidden for k in only_train)


def test_missing_evaluation_sets_are_a_clear_error(tmp_path):
    from training.data.leakage import evaluation_molecules

    with pytest.raises(FileNotFoundError, match="CHEMAGENT_SHARED_DATA"):
        evaluation_molecules(tmp_path)


# -- builders ----------------------------------------------------------------------------------
def test_formula_answers_are_rdkit_formulas():
    from training.data.instructions import formula_dialogues

    out = list(
        formula_dialogues(["CC(=O)Oc1ccccc1C(=O)O", "CC(=O)[O-]", "not a smiles"], random.Random(0))
    )
    assert [d.messages[1].content for d in out] == ["C9H8O4", "C2H3O2-"]
    assert "CC(=O)Oc1ccccc1C(=O)O" in out[0].messages[0].content


def test_iupac_pairs_are_kept_only_where_opsin_round_trips():
    from training.data.instructions import iupac_dialogues

    pairs = [("2-acetyloxybenzoic acid", "CC(=O)Oc1ccccc1C(=O)O"), ("propan-2-ol", "CCCO")]
    out, rejected = iupac_dialogues(pairs, random.Random(0))
    assert rejected == 1  # propan-2-ol is not propan-1-ol
    answers = {d.messages[1].content for d in out}
    assert answers == {"CC(=O)Oc1ccccc1C(=O)O", "2-acetyloxybenzoic acid"}


def test_property_dialogues_carry_the_moleculenet_label_of_training_molecules():
    from tools.predict.endpoints import catalogue
    from tools.predict.train import load_dataset
    from training.config import shared_data
    from training.data.instructions import canonical, property_dialogues
    from training.data.leakage import molecule_key

    data_dir = shared_data() / "moleculenet" / "chemprop_2019"
    out = [
        d
        for d in property_dialogues(data_dir, random.Random(0), per_task=6)
        if d.source == "property:bbbp"
    ]
    bbbp = load_dataset(catalogue().get("bbbp"), data_dir)
    label = {canonical(bbbp.smiles[i]): bbbp.labels[i, 0] for i in bbbp.split.train}
    test = {molecule_key(bbbp.smiles[i]) for i in bbbp.split.test}
    assert len(out) == 6 and {d.messages[1].content for d in out} == {"Yes", "No"}
    for d in out:
        smi = max((s for s in label if s in d.messages[0].content), key=len)
        assert d.messages[1].content == ("Yes" if label[smi] == 1 else "No")
        assert molecule_key(smi) not in test


@pytest.mark.slow
def test_built_instruction_data_holds_no_evaluation_molecule(tmp_path):
    """The whole builder on the real shared data: every family present, nothing forbidden left."""
    from training.config import shared_data
    from training.data.build import build_instruction_data
    from training.data.leakage import evaluation_molecules, molecules_in_text

    forbidden = evaluation_molecules(shared_data())
    report = build_instruction_data(
        shared_data(), tmp_path, per_family=60, general_limit=90, forbidden=forbidden
    )
    assert set(report.by_source) == {"description", "design", "property", "formula", "iupac"}
    assert report.leakage.removed > 0  # ChEBI-20 validation shares molecules with the benchmarks
    dialogues = list(read_dialogues(tmp_path / "chemistry.jsonl"))
    assert len(dialogues) == report.chemistry
    for d in dialogues:
        for m in d.messages:
            assert not [k for k in molecules_in_text(m.content) if k in forbidden]
    assert len(list(read_dialogues(tmp_path / "general.jsonl"))) == 90


# -- images ------------------------------------------------------------------------------------
def test_rendered_pairs_are_readable_structures(tmp_path):
    """OSRA reads the plain renderings back as the molecule they are labelled with."""
    from tools.vision.osra import recognise
    from training.data.images import RenderStyle, read_pairs, render, render_pairs
    from training.data.leakage import molecule_key

    n = render_pairs(
        ["CC(=O)Oc1ccccc1C(=O)O", "invalid((", "c1ccc2ccccc2c1"], tmp_path / "imgs", seed=3
    )
    pairs = read_pairs(tmp_path / "imgs" / "pairs.jsonl")
    assert n == 2 and [p.smiles for p in pairs] == ["CC(=O)Oc1ccccc1C(=O)O", "c1ccc2ccccc2c1"]
    assert all(Path(p.image).is_file() for p in pairs)
    style = RenderStyle(
        width=400,
        height=300,
        rotation=0,
        bond_width=2,
        font_scale=1,
        font_file=None,
        abbreviate=False,
        noise=0,
    )
    image = render("CC(=O)Oc1ccccc1C(=O)O", style, seed=0)
    image.save(tmp_path / "aspirin.png")
    read = recognise(tmp_path / "aspirin.png")
    assert [molecule_key(s) for s in read] == [molecule_key("CC(=O)Oc1ccccc1C(=O)O")]


def test_a_published_folder_replaces_the_old_one_and_leaves_no_scraps(tmp_path):
    from training.files import publish, staging
    from training.loop import checkpoints

    final = tmp_path / "checkpoints" / "step-000002"
    for content in ("first", "second"):
        tmp = staging(final)
        tmp.mkdir(parents=True)
        (tmp / "weights").write_text(content)
        publish(tmp, final)
    assert (final / "weights").read_text() == "second"
    assert sorted(p.name for p in final.parent.iterdir()) == ["step-000002"]
    for scrap in ("step-000009.partial", "step-000003.old"):  # a killed save or replace
        (final.parent / scrap).mkdir()
    assert checkpoints(tmp_path) == [final]
