"""The sandbox's modules import each other without a cycle (counting imports inside functions
and under TYPE_CHECKING), and the bookkeeping rules live in sandbox.ledger alone."""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox

PACKAGE = Path(sandbox.__file__).parent


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "sandbox":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sandbox."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("sandbox.")}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return None


def test_no_import_cycle_between_sandbox_modules():
    graph = {path.stem: _imports(path) for path in PACKAGE.glob("*.py")}
    assert graph["model"] >= {"generate", "ledger"}  # the graph is read, not empty
    assert _cycle(graph) is None
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def test_the_ledger_is_its_own_module():
    assert "ledger" not in _imports(PACKAGE / "ledger.py")
    assert not {"model", "generate"} & _imports(PACKAGE / "ledger.py")
    assert "class Ledger" not in (PACKAGE / "generate.py").read_text(encoding="utf-8")
