"""Mix a chemistry instruction set with a general one at a fixed ratio (ChemDFM used about 1:2).

The ratio is met by sampling without replacement from the larger side: if the general set is too
small for every chemistry dialogue, chemistry is subsampled rather than general data repeated.
"""

from __future__ import annotations

import logging
import random

from training.data.dialogue import Dialogue

logger = logging.getLogger(__name__)


def mix(
    chemistry: list[Dialogue], general: list[Dialogue], ratio: tuple[int, int], seed: int
) -> list[Dialogue]:
    """chemistry:general = ratio[0]:ratio[1], shuffled deterministically by `seed`."""
    c, g = ratio
    if c < 0 or g < 0 or c + g == 0:
        raise ValueError(f"ratio {ratio} must be two non-negative numbers, not both zero")
    rng = random.Random(seed)
    if g == 0 or not general:
        if g and not general:
            logger.warning("no general dialogues given; training on chemistry only")
        out = list(chemistry)
    elif c == 0:
        out = list(general)
    else:
        n_chem = min(len(chemistry), len(general) * c // g)
        n_gen = min(len(general), n_chem * g // c)
        if n_chem < len(chemistry):
            logger.warning(
                "only %d general dialogues for a %d:%d mix: using %d of %d chemistry dialogues",
                len(general),
                c,
                g,
                n_chem,
                len(chemistry),
            )
        out = rng.sample(chemistry, n_chem) + rng.sample(general, n_gen)
    rng.shuffle(out)
    return out
