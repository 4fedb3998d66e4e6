"""The recipes on their tiny configs, on the CPU: they learn, resume exactly, export checkpoints
the agent loads. Every model here is the project's own tiny LLaMA / ViT-MLP-LLM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from training.config import LLAMA_LINEAR, ConfigError, TrainSpec, load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "training" / "configs"
QA = [
    ("What is the molecular formula of CCO?", "C2H6O"),
    ("What is the molecular formula of c1ccccc1?", "C6H6"),
    ("Is CC(=O)Oc1ccccc1C(=O)O an acid? Answer Yes or No.", "Yes"),
    ("Name the molecule CC(C)=O.", "propan-2-one"),
]


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    from models.tiny import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory):
    from models.tiny import build_tiny_vlm

    return build_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"))


def _write(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg))
    return path


def _corpus(tmp_path: Path, n: int = 120) -> Path:
    rows = [
        {"text": f"Compound {i}: SMILES {'C' * (i % 9 + 1)}O, boiling point {60 + i} C."}
        for i in range(n)
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _sft_data(tmp_path: Path) -> Path:
    path = tmp_path / "chem.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for q, a in QA
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# -- schedule ----------------------------------------------------------------------------------
def test_learning_rate_warms_up_then_follows_a_cosine_to_its_floor():
    from training.loop import lr_at

    spec = TrainSpec(max_steps=14, micro_batch_size=1, lr=1.0, warmup_steps=4, min_lr_ratio=0.1)
    assert [lr_at(s, spec) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert lr_at(4, spec) == pytest.approx(1.0)
    assert lr_at(9, spec) == pytest.approx(0.55)  # half-way: floor + (1 - floor) / 2
    assert lr_at(14, spec) == pytest.approx(0.1)


# -- pretraining -------------------------------------------------------------------------------
def test_pretraining_memorises_a_fixed_batch(tiny_llama, tmp_path):
    from training import pretrain

    corpus = tmp_path / "one.jsonl"
    corpus.write_text(json.dumps({"text": "Aspirin is CC(=O)Oc1ccccc1C(=O)O. " * 12}) + "\n")
    cfg = _write(
        tmp_path / "p.yaml",
        {
            "recipe": "pretrain",
            "model": {"path": str(tiny_llama)},
            "pretrain": {"sources": [{"path": str(corpus)}]},
            "train": {
                "max_steps": 40,
                "micro_batch_size": 2,
                "seq_len": 32,
                "lr": 3e-3,
                "warmup_steps": 2,
                "save_every": 100,
            },
            "out": str(tmp_path / "run"),
        },
    )
    result = pretrain.run(load_config(cfg))
    losses = [m["loss"] for m in _metrics(tmp_path / "run")]
    assert len(losses) == 40 and result.final_loss == losses[-1]
    assert losses[-1] < 0.2 * losses[0], losses  # the same few sequences every step: memorised
    assert (tmp_path / "run" / "final" / "model.safetensors").is_file()


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_losses(tiny_llama, tmp_path):
    """SIGKILL a CLI run after a checkpoint; resuming it gives the uninterrupted run's losses."""
    from training import pretrain

    def config(out: Path) -> Path:
        return _write(
            tmp_path / f"{out.name}.yaml",
            {
                "recipe": "pretrain",
                "model": {"path": str(tiny_llama)},
                "pretrain": {"sources": [{"path": str(_corpus(tmp_path))}]},
                "train": {
                    "max_steps": 60,
                    "micro_batch_size": 4,
                    "grad_accum": 2,
                    "seq_len": 32,
                    "lr": 2e-3,
                    "warmup_steps": 5,
                    "save_every": 5,
                    "seed": 7,
                    # Exact equality holds for float32 on the CPU (the same losses with 1, 2 or
                    # 8 threads here); "auto" would train in bfloat16 on a visible GPU, whose
                    # kernels need not sum in the same order twice.
                    "device": "cpu",
                },
                "out": str(out),
            },
        )

    whole = pretrain.run(load_config(config(tmp_path / "whole")))
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "train", "pretrain", "--config", str(config(killed))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    ckpts = killed / "checkpoints"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if ckpts.is_dir() and any(p.name == "step-000010" for p in ckpts.iterdir()):
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    assert proc.wait(timeout=60) == -signal.SIGKILL, "the run finished before it could be killed"
    done = sorted(p.name for p in ckpts.iterdir() if not p.name.endswith(".partial"))
    assert done and done[-1] < "step-000060"
    resumed = pretrain.run(load_config(config(killed)), resume=True)
    assert resumed.resumed_from is not None and 10 <= resumed.resumed_from < 60
    assert resumed.final_loss == pytest.approx(whole.final_loss, abs=1e-6)
    a, b = _metrics(tmp_path / "whole"), _metrics(killed)
    assert [m["step"] for m in b] == list(range(1, 61))  # every step logged once
    assert [m["loss"] for m in b] == pytest.approx([m["loss"] for m in a], abs=1e-6)


def test_a_run_with_checkpoints_needs_resume(tiny_llama, tmp_path):
    from training import pretrain

    cfg = _write(
        tmp_path / "p.yaml",
        {
            "recipe": "pretrain",
            "model": {"path": str(tiny_llama)},
            "pretrain": {"sources": [{"path": str(_corpus(tmp_path, 40))}]},
            "train": {
                "max_steps": 2,
                "micro_batch_size": 2,
                "seq_len": 16,
                "lr": 1e-3,
                "save_every": 1,
            },
            "out": str(tmp_path / "run"),
        },
    )
    pretrain.run(load_config(cfg))
    with pytest.raises(FileExistsError, match="--resume"):
        pretrain.run(load_config(cfg))
    first = _metrics(tmp_path / "run")
    again = pretrain.run(load_config(cfg), resume=True)  # already complete: nothing to do
    assert again.resumed_from == 2 and again.steps == 2
    assert again.final_loss == first[-1]["loss"] and _metrics(tmp_path / "run") == first


# -- instruction tuning ------------------------------------------------------------------------
def _sft_config(tmp_path: Path, model: Path, **extra) -> Path:
    cfg = {
        "recipe": "sft",
        "model": {"path": str(model)},
        "sft": {"chemistry": [str(_sft_data(tmp_path))], "ratio": [1, 0]},
        "train": {
            "max_steps": 60,
            "micro_batch_size": 4,
            "seq_len": 128,
            "lr": 4e-3,
            "warmup_steps": 3,
            "save_every": 100,
        },
        "out": str(tmp_path / "sft"),
    }
    cfg.update(extra)
    return _write(tmp_path / "sft.yaml", cfg)


@pytest.fixture(scope="module")
def memorised(tiny_llama, tmp_path_factory):
    """A full-parameter SFT run on the four QA dialogues; its exported checkpoint."""
    from training import sft

    tmp = tmp_path_factory.mktemp("sft")
    result = sft.run(load_config(_sft_config(tmp, tiny_llama)))
    assert result.steps == 60
    return tmp / "sft"


@pytest.mark.slow
def test_sft_checkpoint_answers_what_it_learned_through_the_agent(memorised):
    from agent import Assistant
    from models.backends.transformers_local import TransformersChatModel
    from models.chat import Generation, Message

    losses = [m["loss"] for m in _metrics(memorised)]
    assert losses[-1] < 0.1 * losses[0]
    model = TransformersChatModel.from_pretrained(memorised / "final", preset="tiny-test")
    gen = Generation(max_tokens=12)
    answers = [model.complete([Message(role="user", content=q)], gen).strip() for q, _ in QA]
    assert answers == [a for _, a in QA]
    with Assistant({"agent": {"max_steps": 2}}, llm=model) as assistant:
        ans = assistant.ask("What is the molecular weight of CCO?")
    assert ans.steps and ans.text.strip()
    assert not any("cannot load" in w for w in ans.warnings)


@pytest.mark.slow
@pytest.mark.integration
def test_vllm_serves_the_exported_sft_checkpoint(memorised, tmp_path):
    """The export is a checkpoint vLLM serves as it is, and it answers what it learned."""
    from models.backends import load_chat_model
    from models.chat import Generation, Message
    from models.presets import get_preset
    from models.serve import VLLMServer
    from models.settings import ModelSettings
    from tests.llm_servers import free_port, vllm_python

    server = VLLMServer(
        get_preset("tiny-test"),
        str(memorised / "final"),
        port=free_port(),
        python=vllm_python(),
        log_file=tmp_path / "vllm.log",
    )
    with server:
        remote = load_chat_model(ModelSettings(url=server.url, preset="tiny-test"), "tiny-test")
        gen = Generation(max_tokens=12)
        answers = [remote.complete([Message(role="user", content=q)], gen).strip() for q, _ in QA]
    assert answers == [a for _, a in QA]


@pytest.mark.slow
def test_lora_trains_only_adapters_and_exports_a_merged_checkpoint(tiny_llama, tmp_path):
    from safetensors.torch import load_file

    from models.backends.transformers_local import TransformersChatModel
    from models.chat import Generation, Message
    from training import sft

    # The tiny model's random output layer caps how sharp its predictions can be, so it gets an
    # adapter too (a real model's does not need one).
    targets = [*LLAMA_LINEAR, "lm_head"]
    cfg = _sft_config(
        tmp_path, tiny_llama, lora={"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": targets}
    )
    data = yaml.safe_load(cfg.read_text())
    data["train"].update(max_steps=60, lr=1e-2)
    _write(cfg, data)
    sft.run(load_config(cfg))
    losses = [m["loss"] for m in _metrics(tmp_path / "sft")]
    assert losses[-1] < 0.1 * losses[0]
    base = load_file(tiny_llama / "model.safetensors")
    merged = load_file(tmp_path / "sft" / "final" / "model.safetensors")
    assert set(merged) == set(base)  # no lora_A/lora_B left: a plain LLaMA checkpoint
    changed = {k for k in base if not (base[k] == merged[k]).all()}
    assert changed and all(k.endswith(("proj.weight", "lm_head.weight")) for k in changed)
    assert "model.embed_tokens.weight" not in changed and "model.norm.weight" not in changed
    model = TransformersChatModel.from_pretrained(tmp_path / "sft" / "final", preset="tiny-test")
    q, a = QA[0]  # the merged weights carry what the adapters learned
    assert model.complete([Message(role="user", content=q)], Generation(max_tokens=8)).strip() == a


@pytest.mark.slow
def test_an_adapter_saved_on_its_own_merges_through_the_cli(tiny_llama, tmp_path):
    from models.backends.transformers_local import TransformersChatModel
    from models.chat import Generation, Message
    from training import sft

    lora = {
        "r": 8,
        "alpha": 16,
        "dropout": 0.0,
        "merge": False,
        "target_modules": [*LLAMA_LINEAR, "lm_head"],
    }
    cfg = _sft_config(tmp_path, tiny_llama, lora=lora)
    data = yaml.safe_load(cfg.read_text())
    data["train"].update(max_steps=60, lr=1e-2)
    _write(cfg, data)
    sft.run(load_config(cfg))
    adapter = tmp_path / "sft" / "adapter"
    assert (adapter / "adapter_config.json").is_file() and not (tmp_path / "sft" / "final").exists()
    proc = _cli(
        "train",
        "merge",
        "--base",
        str(tiny_llama),
        "--adapter",
        str(adapter),
        "--out",
        str(tmp_path / "merged"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    model = TransformersChatModel.from_pretrained(tmp_path / "merged", preset="tiny-test")
    q, a = QA[1]
    assert model.complete([Message(role="user", content=q)], Generation(max_tokens=8)).strip() == a


def test_sft_loss_only_counts_assistant_tokens(tiny_llama, tmp_path):
    """Batches label exactly the answers; prompts and padding are ignored by the loss."""
    from transformers import AutoTokenizer

    from training.data.dialogue import IGNORE
    from training.sft import load_dialogues, tokenize_all

    cfg = load_config(_sft_config(tmp_path, tiny_llama))
    tok = AutoTokenizer.from_pretrained(tiny_llama)
    data = tokenize_all(cfg, tok, load_dialogues(cfg))
    batch = data.batch(0, 4)
    texts = sorted(tok.decode([t for t in row if t != IGNORE]) for row in batch["labels"].tolist())
    assert texts == sorted(f" {a}</s>" for _, a in QA)
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE).all()


# -- multimodal alignment ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def image_pairs(tmp_path_factory):
    from training.data.images import render_pairs

    out = tmp_path_factory.mktemp("pairs") / "imgs"
    render_pairs(["CCO", "c1ccccc1O"], out, seed=0)
    return out / "pairs.jsonl"


def _align_config(tmp_path: Path, model: Path, stage: dict, name: str) -> Path:
    return _write(
        tmp_path / f"{name}.yaml",
        {
            "recipe": "align",
            "model": {"path": str(model)},
            "align": {"manifest": "{config_dir}/pairs/imgs/pairs.jsonl"},
            "stage": stage,
            "train": {
                "max_steps": 30,
                "micro_batch_size": 2,
                "seq_len": 512,
                "lr": 5e-3,
                "warmup_steps": 2,
                "save_every": 100,
            },
            "out": str(tmp_path / name),
        },
    )


@pytest.mark.slow
def test_alignment_stages_train_the_parts_they_name(tiny_vlm, image_pairs, tmp_path):
    import shutil

    from safetensors.torch import load_file

    from models.backends.vlm_local import TransformersVLMChatModel
    from models.chat import Generation, ImagePart, Message
    from training import align

    shutil.copytree(image_pairs.parent, tmp_path / "pairs" / "imgs")
    lora = {"r": 4, "alpha": 8, "dropout": 0.0}
    align.run(
        load_config(
            _align_config(tmp_path, tiny_vlm, {"name": "stage1", "vision_lora": lora}, "s1")
        )
    )
    losses = [m["loss"] for m in _metrics(tmp_path / "s1")]
    assert losses[-1] < losses[0] - 0.3  # a frozen random LLM bounds how far stage 1 can go

    def moved(a: Path, b: Path) -> set[str]:
        x, y = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
        assert set(x) == set(y)
        return {k.split(".")[0] for k in x if not (x[k] == y[k]).all()}

    s1 = tmp_path / "s1" / "final"
    assert moved(tiny_vlm, s1) == {"vision_model", "mlp1"}  # the LLM stayed frozen
    stage2 = {
        "name": "stage2",
        "vision_lora": lora,
        "llm_lora": {**lora, "r": 8},
        "llm_targets": [*LLAMA_LINEAR, "lm_head"],
    }
    align.run(load_config(_align_config(tmp_path, s1, stage2, "s2")))
    losses = [m["loss"] for m in _metrics(tmp_path / "s2")]
    assert losses[-1] < 0.2 * losses[0]  # with the LLM adapted, two images are memorised
    assert moved(s1, tmp_path / "s2" / "final") == {"vision_model", "mlp1", "language_model"}
    vlm = TransformersVLMChatModel.from_pretrained(tmp_path / "s2" / "final")
    image = json.loads(image_pairs.read_text().splitlines()[0])["image"]
    text = vlm.complete(
        [
            Message(
                role="user",
                content="What is the SMILES?",
                images=[ImagePart(path=str(image_pairs.parent / image))],
            )
        ],
        Generation(max_tokens=8),
    )
    assert isinstance(text, str)


# -- configs and the CLI -----------------------------------------------------------------------
def test_every_shipped_config_validates_and_names_a_real_launcher():
    files = sorted(CONFIGS.glob("*.yaml"))
    assert {f.stem for f in files} >= {
        "tiny-pretrain",
        "tiny-sft",
        "tiny-sft-lora",
        "tiny-align-stage1",
        "tiny-align-stage2",
        "chemdfm-13b-pretrain",
        "chemdfm-13b-sft",
    }
    for f in files:
        cfg = load_config(f)
        if f.stem.startswith("tiny"):
            assert cfg.launch is None and (cfg.model.tiny or cfg.model.path)
        else:
            assert cfg.launch and cfg.train.precision == "bf16", f
            launcher = cfg.launch.split("--config_file ")[1].split()[0]
            acc = yaml.safe_load((ROOT / launcher).read_text())
            assert acc["distributed_type"] in {"DEEPSPEED", "FSDP"}
            assert f"--config training/configs/{f.name}" in cfg.launch
            assert (
                cfg.launch.startswith("accelerate launch")
                and f"-m training {cfg.recipe} " in cfg.launch
            )


def test_bad_configs_say_what_is_wrong(tmp_path):
    with pytest.raises(ConfigError, match="no config file"):
        load_config(tmp_path / "none.yaml")
    bad = _write(
        tmp_path / "b.yaml",
        {
            "recipe": "sft",
            "model": {"tiny": "llama"},
            "train": {"max_steps": 1, "micro_batch_size": 1, "lr": 1e-3},
        },
    )
    with pytest.raises(ConfigError, match="sft"):
        load_config(bad)
    both = _write(
        tmp_path / "c.yaml",
        {
            "recipe": "pretrain",
            "model": {"tiny": "llama", "path": "x"},
            "pretrain": {"sources": [{"path": "x"}]},
            "train": {"max_steps": 1, "micro_batch_size": 1, "lr": 1e-3},
        },
    )
    with pytest.raises(ConfigError, match="exactly one"):
        load_config(both)


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def test_cli_refuses_a_config_of_another_recipe_and_a_missing_model(tmp_path):
    proc = _cli("train", "sft", "--config", str(CONFIGS / "tiny-pretrain.yaml"))
    assert proc.returncode == 2 and "chemagent train pretrain" in proc.stderr
    proc = _cli(
        "train",
        "pretrain",
        "--config",
        str(CONFIGS / "tiny-pretrain.yaml"),
        "--model",
        str(tmp_path / "nowhere"),
        "--out",
        str(tmp_path / "o"),
    )
    assert proc.returncode == 2 and "no config.json" in proc.stderr


@pytest.mark.slow
def test_cli_runs_the_shipped_tiny_pretraining_config(tmp_path):
    proc = _cli(
        "train",
        "pretrain",
        "--config",
        str(CONFIGS / "tiny-pretrain.yaml"),
        "--out",
        str(tmp_path / "run"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    losses = [m["loss"] for m in _metrics(tmp_path / "run")]
    assert result["steps"] == 40 and losses[-1] < losses[0] - 1.0
    assert {"loss", "lr", "tokens_per_s", "grad_norm"} <= set(_metrics(tmp_path / "run")[0])


def test_stage_adapters_get_their_own_ranks_and_the_llm_stays_frozen_in_stage1(tiny_vlm, tmp_path):
    from models.vlm.modeling import ChemVLMForConditionalGeneration
    from training.align import freeze_for_stage

    def adapters(stage: dict) -> tuple[dict[str, int], set[str]]:
        cfg = load_config(_align_config(tmp_path, tiny_vlm, stage, "x"))
        model = freeze_for_stage(ChemVLMForConditionalGeneration.from_pretrained(tiny_vlm), cfg)
        ranks = {
            n.split(".base_model.model.")[-1]: p.shape[0]
            for n, p in model.named_parameters()
            if "lora_A" in n
        }
        towers = {
            n.split("base_model.model.")[-1].split(".")[0]
            for n, p in model.named_parameters()
            if p.requires_grad
        }
        return ranks, towers

    ranks, towers = adapters({"name": "stage1", "vision_lora": {"r": 4, "alpha": 8}})
    assert set(ranks.values()) == {4} and all("vision_model" in n for n in ranks)
    assert towers == {"vision_model", "mlp1"}
    ranks, towers = adapters(
        {"name": "stage2", "vision_lora": {"r": 4, "alpha": 8}, "llm_lora": {"r": 16, "alpha": 32}}
    )
    assert {r for n, r in ranks.items() if "language_model" in n} == {16}
    assert {r for n, r in ranks.items() if "vision_model" in n} == {4}
    assert towers == {"vision_model", "mlp1", "language_model"}
