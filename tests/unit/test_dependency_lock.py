"""What gets installed is locked: `requirements.txt` and `requirements-dev.txt` are generated
from the hand-written `.in` files (`make lock`) with a hash for every file of every package,
so pip refuses anything else; every pin asked for is in the lock at that version; nothing is
asked for that no code imports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")

# The import name of each direct requirement whose name differs from its distribution's;
# None for the tools run as commands rather than imported. What the direct requirements need
# in turn is pinned by the lock alone.
IMPORT_NAMES = {"pillow": "PIL", "flask-sqlalchemy": "flask_sqlalchemy", "flask-migrate":
                "flask_migrate", "flask-smorest": "flask_smorest", "flask-jwt-extended":
                "flask_jwt_extended", "argon2-cffi": "argon2", "pytest-playwright": None,
                "ruff": None, "gunicorn": None, "backports-zstd": "backports"}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[_name(match.group(1))] = match.group(2)
    return found


def locked_entries(path: Path) -> dict[str, list[str]]:
    """Each locked package and its hashes (an entry runs over continuation lines)."""
    entries, current = {}, None
    for line in path.read_text().splitlines():
        match = PIN.match(line)  # an entry starts unindented; its hashes follow, indented
        if match:
            current = _name(match.group(1))
            entries[current] = []
        elif not line.startswith((" ", "\t")):
            current = None
        if current:
            entries[current] += re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
    return entries


@pytest.mark.parametrize("lock,wanted", [("requirements.txt", ["requirements.in"]),
                                         ("requirements-dev.txt",
                                          ["requirements.in", "requirements-dev.in"])])
def test_every_locked_package_has_hashes_and_every_pin_is_locked(lock, wanted):
    entries = locked_entries(ROOT / lock)
    assert len(entries) >= 20, f"{lock} locks only {sorted(entries)}"
    unhashed = sorted(name for name, hashes in entries.items() if not hashes)
    assert not unhashed, f"{lock} has packages without hashes: {unhashed}"
    locked = pins(ROOT / lock)
    for source in wanted:
        for name, version in pins(ROOT / source).items():
            assert locked.get(name) == version, (
                f"{source} pins {name}=={version} but {lock} has {locked.get(name)}: run `make lock`")


def test_the_dev_lock_installs_the_same_runtime_as_the_runtime_lock():
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    differing = {name: (version, dev.get(name)) for name, version in runtime.items()
                 if dev.get(name) != version}
    assert not differing, f"requirements-dev.txt disagrees with requirements.txt: {differing}"


def _imported_top_levels() -> set[str]:
    names = set()
    for folder in ("backend", "sync", "tests", "bench", "deploy"):
        for path in (ROOT / folder).rglob("*.py"):
            for match in re.finditer(r"^\s*(?:from|import)\s+([A-Za-z_][\w]*)",
                                     path.read_text(), re.MULTILINE):
                names.add(match.group(1))
    names.update(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)",
                            (ROOT / "wsgi.py").read_text(), re.MULTILINE))
    return names


@pytest.mark.parametrize("source", ["requirements.in", "requirements-dev.in"])
def test_no_pin_without_code_that_uses_it(source):
    imported = _imported_top_levels()
    unused = []
    for name in pins(ROOT / source):
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        if module is not None and module not in imported:
            unused.append(name)
    assert not unused, f"{source} pins packages no code imports: {unused} (pin them when used)"


def test_make_installs_the_project_only_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line and " -r " in line]
    assert installs and all("--require-hashes" in line for line in installs), installs
