"""Fuzz the API from its own OpenAPI spec (schemathesis): no input may cause a server error, and
every response must match the spec."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from workers.api.app import create_app
from workers.settings import Settings
from workers.store import FeedStore

pytestmark = pytest.mark.integration

# Built at import because schemathesis makes one test per operation from the spec; its lazy
# per-fixture loader does not work with pytest 9. The prefix keeps the keys it writes apart.
SETTINGS = Settings(redis_prefix=f"test:fuzz-{uuid.uuid4().hex[:10]}")
STORE = FeedStore.connect(SETTINGS)
# The live stream never ends by itself; tests/api/test_api.py covers it on a real server.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(SETTINGS, STORE)).exclude(path_regex="/stream$")


@pytest.fixture(autouse=True, scope="module")
def clean_keys(services: Settings) -> Iterator[None]:
    yield
    keys = list(STORE.redis.scan_iter(match=f"{SETTINGS.redis_prefix}:*", count=1000))
    if keys:
        STORE.redis.delete(*keys)


@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
