"""The service worker precaches exactly the app shell: every file the app loads, and
nothing that does not exist (a missing one would make the install fail on the phone)."""

from __future__ import annotations

import json
import re
from pathlib import Path

PWA = Path(__file__).resolve().parents[3] / "pwa"
SW = (PWA / "sw.js").read_text(encoding="utf-8")


def shell_list() -> list[str]:
    block = re.search(r"const SHELL = \[(.*?)\];", SW, re.S).group(1)
    urls = re.findall(r'"([^"]+)"', block)
    assert len(urls) > 10, f"only {len(urls)} files in sw.js's SHELL"
    return urls


def shipped_files() -> set[str]:
    """What the app needs offline: its modules, vendored libraries, catalogues and icons."""
    files = {"/index.html", "/manifest.webmanifest", "/app/styles.css"}
    for folder, pattern in (("app", "**/*.js"), ("screens", "*.js"), ("console", "*.js"),
                            ("lib", "*.js"), ("i18n", "*.json")):
        found = {"/" + str(p.relative_to(PWA)) for p in (PWA / folder).glob(pattern)}
        assert found, f"no {pattern} in pwa/{folder}"
        files |= found
    manifest = json.loads((PWA / "manifest.webmanifest").read_text(encoding="utf-8"))
    files |= {icon["src"] for icon in manifest["icons"]}
    return files


def test_the_shell_cache_is_versioned():
    assert re.search(r'^const VERSION = "[^"]+";', SW, re.M)
    assert "civicgrid-shell-${VERSION}" in SW


def test_every_file_in_the_shell_list_exists():
    for url in shell_list():
        path = PWA / ("index.html" if url == "/" else url.lstrip("/"))
        assert path.is_file(), f"{url} is precached but does not exist"


def test_every_file_the_app_loads_is_in_the_shell_list():
    missing = shipped_files() - set(shell_list())
    assert not missing, f"not precached, so missing offline: {sorted(missing)}"


def test_every_module_import_points_at_a_shell_file():
    shell = set(shell_list())
    modules = [p for p in PWA.rglob("*.js") if "lib" not in p.parts]
    assert len(modules) > 10, f"found only {len(modules)} modules under {PWA}"
    for module in modules:
        for target in re.findall(r'(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)"', module.read_text(encoding="utf-8")):
            url = "/" + str((module.parent / target).resolve().relative_to(PWA))
            assert url in shell, f"{module.name} imports {target}, which is not precached"
