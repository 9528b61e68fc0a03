"""The layout rules of STYLE.md that a machine can check."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_sync_engine_imports_neither_flask_nor_backend():
    for path in _python_files("sync"):
        bad = {n for n in _imports(path) if n.split(".")[0] in {"flask", "backend"}
               or n.startswith("flask_")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_services_do_not_import_flask():
    for path in (ROOT / "backend").glob("*/services.py"):
        bad = {n for n in _imports(path) if n == "flask" or n.startswith(("flask.", "flask_"))}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_only_the_app_factory_imports_api_modules():
    for path in _python_files("backend"):
        if path == ROOT / "backend" / "__init__.py":
            continue
        bad = {n for n in _imports(path) if n.startswith("backend.") and n.endswith(".api")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_common_imports_no_feature_package():
    features = {p.name for p in (ROOT / "backend").iterdir() if p.is_dir() and p.name != "common"}
    for path in _python_files("backend/common"):
        bad = {n for n in _imports(path) if n.split(".")[0] == "backend"
               and len(n.split(".")) > 1 and n.split(".")[1] in features}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_no_naive_datetimes():
    for path in _python_files("backend") + _python_files("sync"):
        text = path.read_text()
        assert "datetime.utcnow" not in text and "datetime.now()" not in text, path


def test_every_catalogue_has_the_same_keys():
    import json

    catalogues = {p.name: set(json.loads(p.read_text())) for p in (ROOT / "pwa" / "i18n").glob("*.json")}
    assert {"zh-CN.json", "en.json"} <= set(catalogues)
    first = catalogues["zh-CN.json"]
    for name, keys in catalogues.items():
        assert keys == first, f"{name} differs from zh-CN.json: {keys ^ first}"
