"""A ``random.Random`` whose small draws are cheaper: the generator makes millions of them.

``randint``, ``randrange`` and ``choice`` of the standard library go through ``_randbelow`` (rejection
sampling on ``getrandbits``), which is exact but about three times slower than scaling one
``random()`` float. For sample data the float's tiny bias does not matter; determinism does, and
this stays fully deterministic for a given seed.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")


class FastRandom(random.Random):
    """Seeded generator with float-scaled ``randint`` / ``randrange`` / ``choice``."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        return seq[int(self.random() * len(seq))]
