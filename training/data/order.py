"""The order training reads examples in: a fresh seeded shuffle each epoch, a pure function of
(seed, global example index), so a resumed run reads exactly what the uninterrupted one did."""

from __future__ import annotations

import numpy as np


class EpochOrder:
    """`order(k)` is the row read as the k-th example: epoch k // n, position k % n of that
    epoch's permutation. The current epoch's permutation is kept, not recomputed per example."""

    def __init__(self, n: int, seed: int) -> None:
        if n <= 0:
            raise ValueError("nothing to read: the dataset is empty")
        self.n, self.seed = n, seed
        self._epoch = -1
        self._perm = np.empty(0, dtype=np.int64)

    def __call__(self, k: int) -> int:
        epoch, pos = divmod(k, self.n)
        if epoch != self._epoch:
            self._epoch, self._perm = (
                epoch,
                np.random.default_rng([self.seed, epoch]).permutation(self.n),
            )
        return int(self._perm[pos])
