"""orjson (de)serialization of the contracts: one way to turn a model into bytes and back."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def encode(model: BaseModel) -> bytes:
    """Serialize ``model`` to compact JSON bytes (datetimes as RFC 3339)."""
    return orjson.dumps(model.model_dump(mode="json"))


def decode(kind: type[M], data: bytes | str) -> M:
    """Parse JSON ``data`` into ``kind``; raises ``pydantic.ValidationError`` or ``orjson.JSONDecodeError``."""
    return kind.model_validate(orjson.loads(data))
