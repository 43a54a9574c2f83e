"""Packaging facts a library user relies on, checked cheaply on the source tree.

The install itself (`pip install .` from a clean copy with no cargo and no network, then the
matcher wheel) is proved by scripts/wheel_check.sh, which CI runs (`make wheel-check`).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from engine.matching import solver

ROOT = Path(__file__).resolve().parents[2]
PYPROJECTS = {
    "cashapp": ROOT / "pyproject.toml",
    "cashapp-client": ROOT / "clients/python/pyproject.toml",
    "cashapp-matcher": ROOT / "matcher_rs/pyproject.toml",
}
# Markdown links `[text](target)` and bare web addresses. Database URLs in examples
# (`sqlite:///cashapp.db`) are settings, not links.
_MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s`)>\]]+", re.IGNORECASE)
_LOOPBACK_URL = re.compile(r"^[a-z]+://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)", re.IGNORECASE)


def _pyproject(name: str) -> dict[str, Any]:
    with PYPROJECTS[name].open("rb") as f:
        return tomllib.load(f)


def test_license_is_the_apache_2_text_and_ships_with_every_distribution() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text
    # maturin and setuptools take license files from the project directory: each distribution's
    # copy must be the same text.
    for name, pyproject in PYPROJECTS.items():
        assert (pyproject.parent / "LICENSE").read_text() == text, name
        assert _pyproject(name)["project"]["license"] == "Apache-2.0", name
        assert _pyproject(name)["project"]["license-files"] == ["LICENSE"], name
    with (ROOT / "Cargo.toml").open("rb") as f:
        assert tomllib.load(f)["workspace"]["package"]["license"] == "Apache-2.0"


def test_engine_and_server_build_with_a_pure_python_backend() -> None:
    data = _pyproject("cashapp")
    assert data["build-system"]["build-backend"] == "setuptools.build_meta"
    requires = " ".join(data["build-system"]["requires"]).lower()
    assert "maturin" not in requires
    assert "rust" not in requires
    assert "tool" in data and "maturin" not in data["tool"]


def test_every_runtime_dependency_is_on_the_package_index() -> None:
    # Our own distributions are on no index: `pip install .` from a clone must not need them.
    dependencies = _pyproject("cashapp")["project"]["dependencies"]
    names = [re.split(r"[\s<>=!~;\[@]", d, maxsplit=1)[0].lower() for d in dependencies]
    assert not [n for n in names if n.startswith("cashapp")]


def test_the_wheel_carries_the_client_package_from_clients_python() -> None:
    find = _pyproject("cashapp")["tool"]["setuptools"]["packages"]["find"]
    assert "clients/python" in find["where"]
    assert {"engine*", "server*", "cashapp_client*"} <= set(find["include"])
    # The client's dependencies come with it, at the client's own lower bounds.
    engine_deps = set(_pyproject("cashapp")["project"]["dependencies"])
    assert set(_pyproject("cashapp-client")["project"]["dependencies"]) <= engine_deps


def test_the_rust_matcher_is_its_own_distribution_the_engine_imports() -> None:
    data = _pyproject("cashapp-matcher")
    assert data["project"]["name"] == "cashapp-matcher"
    assert data["build-system"]["build-backend"] == "maturin"
    assert data["tool"]["maturin"]["module-name"] == solver.EXTENSION_MODULE
    python_source = ROOT / "matcher_rs" / data["tool"]["maturin"]["python-source"]
    assert (python_source / "cashapp_matcher/_matcher.pyi").is_file()


def _outside_references(path: Path) -> list[str]:
    text = path.read_text()
    found = [u for u in _URL.findall(text) if not _LOOPBACK_URL.match(u)]
    for target in _MD_LINK.findall(text):
        if "://" in target or target.startswith(("mailto:", "#")):
            continue  # URLs are checked above; anchors stay in the page
        resolved = (path.parent / target.split("#")[0]).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            found.append(target)
    # Plain-text paths that climb out of the repository, like `../shared/DESIGN.md`.
    found += re.findall(r"(?<![\w.])\.\./[\w./-]+", text)
    return found


def test_readmes_reference_nothing_outside_the_repository() -> None:
    # Ours only: not the ones tools write into hidden caches or build directories.
    readmes = [
        p
        for p in ROOT.rglob("README.md")
        if not any(part.startswith(".") or part == "target" for part in p.relative_to(ROOT).parts)
    ]
    assert ROOT / "README.md" in readmes
    for readme in readmes:
        assert _outside_references(readme) == [], readme.relative_to(ROOT)


def test_outside_reference_check_catches_links_and_paths(tmp_path: Path) -> None:
    # The check above must be able to fail: every kind of outside reference is reported.
    page = tmp_path / "README.md"
    page.write_text(
        "[a](https://example.org/x) see https://example.com and `../shared/DESIGN.md`,"
        " [b](/etc/passwd); fine: http://127.0.0.1:50051 and [c](#usage)\n"
    )
    assert sorted(_outside_references(page)) == [
        "../shared/DESIGN.md",
        "/etc/passwd",
        "https://example.com",
        "https://example.org/x",
    ]


def test_changelog_keeps_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "Keep a Changelog" in text and "Semantic Versioning" in text
    sections = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert sections[0] == "Unreleased"
    kinds = set(re.findall(r"^### (\w+)$", text, re.MULTILINE))
    assert kinds and kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_every_proto_element_is_commented() -> None:
    config = (ROOT / "proto/buf.yaml").read_text()
    assert re.search(r"^\s+- COMMENTS$", config, re.MULTILINE), "buf.yaml must enable COMMENTS"
    buf = Path(sys.executable).with_name("buf")  # the buf-bin dev dependency
    result = subprocess.run(
        [str(buf), "lint"], cwd=ROOT / "proto", capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
