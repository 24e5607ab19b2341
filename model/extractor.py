"""The seam between the stream and whatever finds token mentions.

Workers, ``tickertape extract`` and ``tickertape eval`` all go through :func:`load_extractor`, so
the evaluated path is the served path.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Protocol

from model.errors import UnknownBackendError
from schemas import TokenMention


class Extractor(Protocol):
    """Finds the token mentions of many texts at once (batching is where models get their speed)."""

    @property
    def name(self) -> str:
        """Backend name and version, recorded on every result."""
        ...

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        """Mentions for each text, in text order, each list ordered by start offset."""
        ...


# Backend name → "module:class"; imported only when asked for, so the rules never pay for torch.
BACKENDS: dict[str, str] = {
    "rules": "model.rules:RuleExtractor",
    "cashtag": "model.cashtag:CashtagExtractor",
    "model": "model.neural:NeuralExtractor",
}


def load_extractor(backend: str, **options: Any) -> Extractor:
    """A ready extractor for ``backend``, one of :data:`BACKENDS` ("rules", "cashtag", ...);
    ``options`` go to its constructor (e.g. ``device="cpu"`` for "model").

    Raises :class:`UnknownBackendError` (a ValueError) for a name :data:`BACKENDS` lacks.
    """
    if backend not in BACKENDS:
        raise UnknownBackendError(f"unknown extractor backend {backend!r}; known: {', '.join(sorted(BACKENDS))}")
    module, _, cls = BACKENDS[backend].partition(":")
    extractor: Extractor = getattr(importlib.import_module(module), cls)(**options)
    return extractor
