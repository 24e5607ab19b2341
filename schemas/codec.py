"""orjson (de)serialization of the contracts: one way to turn a model into bytes and back."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def encode(model: BaseModel) -> bytes:
    """Serialize ``model`` to compact JSON bytes (datetimes as RFC 3339)."""
    return orjson.dumps(model.model_dump(mode="json"))


def decode(kind: type[M], data: bytes | str) -> M:
    """Parse JSON ``data`` into ``kind``; raises ``pydantic.ValidationError`` or ``orjson.JSONDecodeError``."""
    return kind.model_validate(orjson.loads(data))


def explain(exc: Exception) -> str:
    """A one-line reason for a record that failed to decode, for dead letters and CLI errors."""
    if isinstance(exc, ValidationError):
        return "invalid tweet: " + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()
        )
    if isinstance(exc, orjson.JSONDecodeError):
        return f"not JSON: {exc}"
    return f"invalid tweet: {exc}"
