"""Tokenized corpora packed into fixed-length sequences in one memory-mapped token file.

Documents are tokenized one at a time and appended to `tokens.bin` with EOS between them, so
neither the corpus nor its tokens ever sit in memory. Training reads sequences from the memory
map in an order that is a pure function of (seed, epoch, position): the data position of a run
is its step number, which is what makes a resumed run see exactly the batches it would have.
The folder is written whole or not at all (`training.files`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from training.data.order import EpochOrder
from training.files import publish, staging

logger = logging.getLogger(__name__)

META = "meta.json"
TOKENS = "tokens.bin"


class PackedMeta(BaseModel):
    seq_len: int
    n_tokens: int
    n_documents: int
    dtype: str
    eos_id: int
    fingerprint: str

    @property
    def n_sequences(self) -> int:
        return self.n_tokens // self.seq_len


def fingerprint(tokenizer: Any, sources: list[str], seq_len: int) -> str:
    """Identifies a packing: tokenizer vocabulary, sources and length. A packed folder with a
    different fingerprint is rebuilt rather than silently reused."""
    h = hashlib.sha256()
    h.update(json.dumps(sorted(tokenizer.get_vocab().items())).encode())
    h.update(json.dumps([sources, seq_len]).encode())
    return h.hexdigest()[:16]


def pack_corpus(
    documents: Iterable[str], tokenizer: Any, out: Path, seq_len: int, fp: str = ""
) -> PackedMeta:
    """Tokenize `documents` into `out` (a folder); returns its metadata."""
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no EOS token to separate documents")
    dtype = np.uint16 if len(tokenizer) <= np.iinfo(np.uint16).max + 1 else np.uint32
    tmp = staging(out)
    tmp.mkdir(parents=True)
    n_tokens = n_docs = 0
    with (tmp / TOKENS).open("wb") as fh:
        for doc in documents:
            ids = tokenizer(doc, add_special_tokens=False)["input_ids"]
            arr = np.asarray([*ids, eos], dtype=dtype)
            fh.write(arr.tobytes())
            n_tokens += arr.size
            n_docs += 1
    meta = PackedMeta(
        seq_len=seq_len,
        n_tokens=n_tokens,
        n_documents=n_docs,
        dtype=np.dtype(dtype).name,
        eos_id=int(eos),
        fingerprint=fp,
    )
    if meta.n_sequences == 0:
        shutil.rmtree(tmp)
        raise ValueError(
            f"the corpus has {n_tokens} tokens, fewer than one sequence of {seq_len}: "
            "add documents or lower train.seq_len"
        )
    (tmp / META).write_text(meta.model_dump_json(indent=1))
    publish(tmp, out)
    logger.info("packed %d documents, %d tokens, %d sequences", n_docs, n_tokens, meta.n_sequences)
    return meta


class PackedDataset:
    """Read-only view of a packed folder: sequence i is tokens[i*L:(i+1)*L]."""

    def __init__(self, folder: Path) -> None:
        self.meta = PackedMeta.model_validate_json((folder / META).read_text())
        self.tokens = np.memmap(folder / TOKENS, dtype=self.meta.dtype, mode="r")
        self._orders: dict[int, EpochOrder] = {}

    def __len__(self) -> int:
        return self.meta.n_sequences

    def batch(self, step: int, batch_size: int, seed: int) -> np.ndarray:
        """Micro-batch number `step`: (batch_size, seq_len) int64, epochs reshuffled."""
        order = self._orders.setdefault(seed, EpochOrder(len(self), seed))
        length = self.meta.seq_len
        rows = []
        for k in range(step * batch_size, (step + 1) * batch_size):
            i = order(k)
            rows.append(np.asarray(self.tokens[i * length : (i + 1) * length], dtype=np.int64))
        return np.stack(rows)


def load_or_pack(
    documents: Iterable[str], tokenizer: Any, out: Path, seq_len: int, sources: list[str]
) -> PackedDataset:
    """The packed folder at `out`, rebuilt when missing, partial or made from something else."""
    fp = fingerprint(tokenizer, sources, seq_len)
    meta_file = out / META
    if meta_file.is_file():
        if PackedMeta.model_validate_json(meta_file.read_text()).fingerprint == fp:
            return PackedDataset(out)
        logger.info("packed data in %s is from other sources or tokenizer; repacking", out)
    pack_corpus(documents, tokenizer, out, seq_len, fp)
    return PackedDataset(out)
