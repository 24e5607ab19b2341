"""The exceptions of :mod:`model`: what serving raises on its own account."""

from __future__ import annotations


class ModelError(Exception):
    """Base of every error :mod:`model` raises itself."""


class UnknownBackendError(ModelError, ValueError):
    """An extractor backend name :data:`model.extractor.BACKENDS` does not know."""
