"""The backend's import graph, computed from the real imports (module level and inside
functions alike; `if TYPE_CHECKING:` blocks excepted, as they never run).

A part is a package under backend/ (accounts, regions…) or a top-level module (errors,
extensions, config). The app factory (backend/__init__.py) imports every part and no part
imports it, so it is left out.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(module imported, line) for every import that runs, relative ones resolved."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                found.append((module, child.lineno))
                # `from backend.x import services` imports the module backend.x.services.
                found.extend((f"{module}.{alias.name}", child.lineno) for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def part_of(module: str) -> str | None:
    """'backend.regions.services' → 'regions'; None outside the backend or for the factory."""
    parts = module.split(".")
    if parts[0] != "backend" or len(parts) < 2:
        return None
    return parts[1]


def backend_files() -> list[Path]:
    files = sorted(BACKEND.rglob("*.py"))
    assert len(files) > 20, f"found only {len(files)} files under {BACKEND}"
    return files


def part_graph(files: list[Path]) -> dict[str, dict[str, str]]:
    """part → {part it imports: 'file:line' of the first such import}."""
    known = {p.name if p.is_dir() else p.stem for p in BACKEND.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in files:
        source = part_of(_module_name(path))
        if source is None:
            continue
        for module, line in imports_of(path):
            target = part_of(module)
            if target in known and target != source:
                graph[source].setdefault(target, f"{path.relative_to(ROOT)}:{line}")
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, {})):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def describe(cycle: list[str], graph: dict[str, dict[str, str]]) -> str:
    return " → ".join(cycle) + "\n" + "\n".join(
        f"  {a} → {b} at {graph[a][b]}" for a, b in zip(cycle, cycle[1:], strict=False))


def test_no_import_cycle_between_backend_packages():
    graph = part_graph(backend_files())
    assert graph, "no imports between backend packages were found"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between backend packages: " + describe(cycle, graph)


def test_the_cycle_finder_finds_a_cycle_and_names_its_imports():
    # The test above can fail: a graph with a cycle is reported, with where it comes from.
    graph = {"a": {"b": "a.py:1"}, "b": {"c": "b.py:2"}, "c": {"a": "c.py:3"}, "d": {"a": "d.py:4"}}
    cycle = find_cycle(graph)
    assert cycle == ["a", "b", "c", "a"]
    assert "c → a at c.py:3" in describe(cycle, graph)
    assert find_cycle({"a": {"b": "x"}, "b": {}}) is None


ALLOWED_IN_MODELS = ("backend.extensions", "backend.common", "backend.sync_adapter.base")


def test_models_import_only_extensions_common_and_the_sync_base():
    models = sorted(BACKEND.glob("*/models.py"))
    assert len(models) >= 5, f"found only {len(models)} models.py files"
    for path in models:
        own = _module_name(path).rpartition(".")[0]
        bad = {module for module, _ in imports_of(path) if module.startswith("backend")
               and not module.startswith(ALLOWED_IN_MODELS) and not module.startswith(own)}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


# Written to by every feature, the sync adapter included; it imports none of them.
SHARED_PACKAGES = {"common", "sync_adapter", "audit"}


def _feature_packages() -> set[str]:
    return {p.name for p in BACKEND.iterdir() if p.is_dir() and (p / "__init__.py").exists()} \
        - SHARED_PACKAGES


def test_the_audit_trail_imports_no_feature():
    features = _feature_packages()
    files = sorted((BACKEND / "audit").glob("*.py"))
    assert files, "no audit modules found"
    for path in files:
        bad = {module for module, _ in imports_of(path) if part_of(module) in features}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_sync_adapter_imports_no_feature():
    features = _feature_packages()
    assert len(features) >= 5, f"found only these feature packages: {sorted(features)}"
    files = sorted((BACKEND / "sync_adapter").glob("*.py"))
    assert files, "no sync_adapter modules found"
    for path in files:
        bad = {module for module, _ in imports_of(path) if part_of(module) in features}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_sync_engine_imports_neither_flask_nor_backend():
    files = sorted((ROOT / "sync").rglob("*.py"))
    assert files, "no sync/ modules found"
    for path in files:
        bad = {module for module, _ in imports_of(path)
               if module.split(".")[0] in {"flask", "backend"} or module.startswith("flask_")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
