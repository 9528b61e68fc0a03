"""The layout rules of STYLE.md that a machine can check."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}/"
    return files


def test_the_sync_engine_suite_imports_nothing_of_the_app():
    """tests/sync_engine/ shows sync/ is a library: flask, backend and the app's test
    helpers (which import backend) stay out."""
    files = _python_files("tests/sync_engine")
    assert len([p for p in files if p.name.startswith("test_")]) >= 4, "sync engine tests not found"
    for path in files:
        bad = {n for n in _imports(path) if n.split(".")[0] in {"flask", "backend"}
               or n.startswith("flask_") or (n.startswith("tests") and not n.startswith("tests.sync_engine"))}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_sync_engine_suite_passes_in_a_process_without_flask_or_backend():
    run = (
        "import sys, pytest\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', '--confcutdir=tests/sync_engine',"
        " 'tests/sync_engine'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'backend'))\n"
        "print('loaded:', loaded)\n"
        "sys.exit(int(code) or (99 if loaded else 0))\n")
    done = subprocess.run([sys.executable, "-c", run], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "loaded: []" in done.stdout and " passed" in done.stdout


def test_services_do_not_import_flask():
    services = sorted((ROOT / "backend").glob("*/services.py"))
    assert len(services) >= 5, f"found only {len(services)} services.py files"
    for path in services:
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
    assert {"accounts", "regions", "incidents"} <= features, f"features found: {sorted(features)}"
    for path in _python_files("backend/common"):
        bad = {n for n in _imports(path) if n.split(".")[0] == "backend"
               and len(n.split(".")) > 1 and n.split(".")[1] in features}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_no_naive_datetimes():
    for path in _python_files("backend") + _python_files("sync"):
        text = path.read_text()
        assert "datetime.utcnow" not in text and "datetime.now()" not in text, path


def _imported_test_modules(source: str) -> list[str]:
    """The test modules (test_*.py) and conftests this source imports, relative or not."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # `from tests.x.test_y import f`, `from .test_y import f`, `from tests.x import test_y`
            module = "." * node.level + (node.module or "")
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names
                     if name.rsplit(".", 1)[-1].startswith("test_") or name.rsplit(".", 1)[-1] == "conftest")
    return sorted(found)


@pytest.mark.parametrize("source,expected", [
    ("from tests.engine.sync.test_push import report_fields", ["tests.engine.sync.test_push"]),
    ("from .test_push import report_fields", [".test_push"]),
    ("from tests.engine.sync import test_push", ["tests.engine.sync.test_push"]),
    ("import tests.api.test_conventions", ["tests.api.test_conventions"]),
    ("def f():\n    from tests.conftest import wipe\n", ["tests.conftest"]),
    ("from tests.helpers import report_fields\nfrom tests import factories", []),
])
def test_imports_of_test_modules_are_recognised(source, expected):
    assert _imported_test_modules(source) == expected


def test_no_module_under_tests_imports_a_test_module_or_a_conftest():
    """Shared builders live in tests/factories.py and the helpers modules. A test module is
    no library, and pytest loads test modules and conftests itself, under names of its own
    (importing one again can load the file a second time)."""
    files = _python_files("tests")
    assert len([p for p in files if p.name.startswith("test_")]) > 30, "test modules not found"
    for path in files:
        bad = _imported_test_modules(path.read_text(encoding="utf-8"))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
