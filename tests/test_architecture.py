"""The layout's promises, read off the source: imports run one way, serving never reaches into training.

Every import counts, at module level or inside a function: a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "model", "workers")


def _modules() -> dict[str, Path]:
    """Dotted name → file of every module of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports, anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the submodule; `from mod import name` the module.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in MODULES and t != name}
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    """One import cycle among the project's modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(GRAPH):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_walk_sees_the_imports_it_must() -> None:
    assert "model.training.corpus" in GRAPH["model.training.testset"]
    assert "model.training.lexicon" in GRAPH["model.training.train"]  # `from model.training import gold, lexicon`
    assert "model.training.train" in GRAPH["workers.cli"]  # imported inside a function


def test_no_import_cycle() -> None:
    assert _cycle() is None, " → ".join(_cycle() or [])


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("model") and not n.startswith("model.training")))
def test_serving_imports_neither_training_nor_workers(name: str) -> None:
    assert not {t for t in GRAPH[name] if t.startswith(("model.training", "workers"))}


def test_only_the_cli_imports_training_from_outside() -> None:
    outside = {n for n, targets in GRAPH.items() if not n.startswith("model.training") and any(t.startswith("model.training") for t in targets)}
    assert outside == {"workers.cli"}


def test_schemas_stand_alone() -> None:
    assert not {t for n in MODULES if n.startswith("schemas") for t in GRAPH[n] if not t.startswith("schemas")}
