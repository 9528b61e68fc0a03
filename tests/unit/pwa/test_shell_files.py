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
    return re.findall(r'"([^"]+)"', block)


def shipped_files() -> set[str]:
    """What the app needs offline: its modules, vendored libraries, catalogues and icons."""
    files = {"/index.html", "/manifest.webmanifest", "/app/styles.css"}
    for folder, pattern in (("app", "**/*.js"), ("screens", "*.js"), ("console", "*.js"),
                            ("lib", "*.js"), ("i18n", "*.json")):
        files |= {"/" + str(p.relative_to(PWA)) for p in (PWA / folder).glob(pattern)}
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
    for module in [p for p in PWA.rglob("*.js") if "lib" not in p.parts]:
        for target in re.findall(r'(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)"', module.read_text(encoding="utf-8")):
            url = "/" + str((module.parent / target).resolve().relative_to(PWA))
            assert url in shell, f"{module.name} imports {target}, which is not precached"


def test_both_catalogues_have_the_same_keys():
    zh = json.loads((PWA / "i18n" / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((PWA / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    assert all(zh.values()) and all(en.values())


def test_every_literal_message_key_in_the_code_is_in_the_catalogue():
    zh = json.loads((PWA / "i18n" / "zh-CN.json").read_text(encoding="utf-8"))
    used = set()
    for module in PWA.rglob("*.js"):
        if "lib" in module.parts:
            continue
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+)"', module.read_text(encoding="utf-8")))
    used |= set(re.findall(r'data-i18n="([^"]+)"', (PWA / "index.html").read_text(encoding="utf-8")))
    assert not used - set(zh), sorted(used - set(zh))
