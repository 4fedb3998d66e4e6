"""A multitask perceptron over fingerprint counts and RDKit descriptors.

Why multitask: Tox21's twelve assays share mechanisms (the two androgen and two estrogen
assays, stress responses), and one network with a shared hidden layer learns them together,
which the per-task trees cannot. It overfits in a few epochs on scaffold splits, so it trains
for a fixed, validation-chosen number of epochs with heavy dropout.

Training uses PyTorch (imported only here, only when training); inference is a NumPy forward
pass over weights stored in an `.npz`, so predicting never imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

MLP_BLOCKS = ("morgan", "fmorgan", "maccs", "desc")
CLIP_Z = 6.0


class MLPSpec(BaseModel):
    """The network of an endpoint's ensemble (chosen on the validation split)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden: tuple[int, ...] = (1024, 512)
    dropout: float = Field(0.3, ge=0, lt=1)
    input_dropout: float = Field(0.1, ge=0, lt=1)
    epochs: int = Field(ge=1)
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(1e-5, ge=0)
    batch_size: int = Field(128, ge=1)


class Perceptron:
    """Input scaling and layer weights; `forward` is the network in evaluation mode."""

    def __init__(
        self, n_fingerprint: int, mean: np.ndarray, std: np.ndarray, layers: list[np.ndarray]
    ) -> None:
        self.n_fingerprint = n_fingerprint  # leading columns are counts, the rest descriptors
        self.mean = mean
        self.std = std
        self.layers = layers  # W0, b0, W1, b1, ... with W as (out, in) like torch.nn.Linear

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """log1p of the counts beside descriptors standardised on the training split."""
        fp = np.log1p(np.clip(X[:, : self.n_fingerprint], 0, None))
        z = np.clip((X[:, self.n_fingerprint :] - self.mean) / self.std, -CLIP_Z, CLIP_Z)
        return np.hstack([fp, z]).astype(np.float32)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Probabilities, one column per task."""
        h = self.inputs(X)
        pairs = list(zip(self.layers[::2], self.layers[1::2], strict=True))
        for k, (W, b) in enumerate(pairs):
            h = h @ W.T + b
            if k < len(pairs) - 1:
                h = np.maximum(h, 0)
        return np.asarray(1 / (1 + np.exp(-h.astype(np.float64))))

    def arrays(self) -> dict[str, Any]:
        out = {"n_fingerprint": np.array([self.n_fingerprint]), "mean": self.mean, "std": self.std}
        out.update({f"layer_{i}": a.astype(np.float16) for i, a in enumerate(self.layers)})
        return out

    @classmethod
    def from_arrays(cls, z: Any) -> Perceptron:
        n_layers = sum(1 for f in z.files if f.startswith("layer_"))
        return cls(
            int(z["n_fingerprint"][0]),
            z["mean"],
            z["std"],
            [z[f"layer_{i}"].astype(np.float32) for i in range(n_layers)],
        )


def fit_perceptron(
    X: np.ndarray, Y: np.ndarray, n_fingerprint: int, spec: MLPSpec, seed: int, threads: int
) -> Perceptron:
    """Masked binary cross-entropy over the tasks whose labels are known, AdamW, fixed epochs;
    the same seed and thread count give the same weights. The thread count is torch's
    process-wide setting, so it is put back afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _fit(X, Y, n_fingerprint, spec, seed)
    finally:
        torch.set_num_threads(previous)


def _fit(X: np.ndarray, Y: np.ndarray, n_fingerprint: int, spec: MLPSpec, seed: int) -> Perceptron:
    import torch

    desc = X[:, n_fingerprint:].astype(np.float64)
    mean = desc.mean(0)
    std = desc.std(0) + 1e-6
    scaler = Perceptron(n_fingerprint, mean, std, [])
    torch.manual_seed(seed)
    modules: list[torch.nn.Module] = [torch.nn.Dropout(spec.input_dropout)]
    width = X.shape[1]
    for h in spec.hidden:
        modules += [torch.nn.Linear(width, h), torch.nn.ReLU(), torch.nn.Dropout(spec.dropout)]
        width = h
    modules.append(torch.nn.Linear(width, Y.shape[1]))
    net = torch.nn.Sequential(*modules)
    opt = torch.optim.AdamW(net.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    x = torch.from_numpy(scaler.inputs(X))
    y = torch.from_numpy(np.nan_to_num(Y).astype(np.float32))
    known = torch.from_numpy(~np.isnan(Y))
    order = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(spec.epochs):
        perm = torch.randperm(len(x), generator=order)
        for i in range(0, len(x), spec.batch_size):
            idx = perm[i : i + spec.batch_size]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                net(x[idx]), y[idx], reduction="none"
            )
            loss = (loss * known[idx]).sum() / known[idx].sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
    # half precision halves the shipped file; rounding here means the model that is scored is
    # the one that is saved
    layers = [
        p.detach().numpy().astype(np.float16).astype(np.float32)
        for m in net
        if isinstance(m, torch.nn.Linear)
        for p in (m.weight, m.bias)
    ]
    return Perceptron(n_fingerprint, mean, std, layers)
