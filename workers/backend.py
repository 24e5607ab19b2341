"""The extractor a process runs, made from its settings: the one place ``TT_MODEL_*`` reach :mod:`model`.

:mod:`model` reads no settings of its own; every caller that has :class:`~workers.settings.Settings`
(the worker, ``tickertape extract`` and ``tickertape eval``) makes its extractor here, so all of them
serve the same adapter on the same device.
"""

from __future__ import annotations

from model.extractor import Extractor, load_extractor
from workers.settings import Settings


def backend_options(settings: Settings, backend: str) -> dict[str, object]:
    """Constructor options of ``backend`` from ``settings``: the ``TT_MODEL_*`` knobs for ``model``, none otherwise."""
    if backend != "model":
        return {}
    given = {"adapter_dir": settings.model_adapter, "base_path": settings.model_base, "device": settings.model_device,
             "runtime": settings.model_runtime}
    return {name: value for name, value in given.items() if value is not None}


def load_backend(settings: Settings, backend: str | None = None) -> Extractor:
    """A ready extractor for ``backend`` (default ``TT_EXTRACTOR``), configured by ``settings``."""
    name = backend or settings.extractor
    return load_extractor(name, **backend_options(settings, name))
