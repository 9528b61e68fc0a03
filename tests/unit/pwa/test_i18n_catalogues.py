"""The PWA's message catalogues (pwa/i18n/*.json): every language has every message, and
every key the code asks for literally is there (a missing one shows the key on screen)."""

from __future__ import annotations

import json
import re
from pathlib import Path

PWA = Path(__file__).resolve().parents[3] / "pwa"


def catalogues() -> dict[str, dict[str, str]]:
    found = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (PWA / "i18n").glob("*.json")}
    assert {"zh-CN.json", "en.json"} <= set(found), f"catalogues found: {sorted(found)}"
    return found


def test_every_catalogue_has_the_same_keys_as_zh_cn():
    every = catalogues()
    first = set(every["zh-CN.json"])
    for name, messages in every.items():
        assert set(messages) == first, f"{name} differs from zh-CN.json: {sorted(set(messages) ^ first)}"


def test_no_message_is_empty():
    for name, messages in catalogues().items():
        empty = sorted(key for key, text in messages.items() if not text)
        assert not empty, f"{name} has empty messages: {empty}"


def test_every_literal_message_key_in_the_code_is_in_the_catalogue():
    zh = catalogues()["zh-CN.json"]
    modules = [p for p in PWA.rglob("*.js") if "lib" not in p.parts]
    assert len(modules) > 10, f"found only {len(modules)} modules under {PWA}"
    used = set()
    for module in modules:
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+)"', module.read_text(encoding="utf-8")))
    used |= set(re.findall(r'data-i18n="([^"]+)"', (PWA / "index.html").read_text(encoding="utf-8")))
    assert used, "no message keys found in the code"
    assert not used - set(zh), sorted(used - set(zh))
