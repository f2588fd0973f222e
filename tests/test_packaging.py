"""What the wheel promises: typed packages (PEP 561) and metadata that says so."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_shipped_package_is_marked_typed() -> None:
    packages = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert packages
    for package in packages:
        assert (ROOT / package / "py.typed").is_file(), package
    assert "Typing :: Typed" in PYPROJECT["project"]["classifiers"]


def test_classifiers_name_only_the_python_we_require_and_test() -> None:
    required = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    versions = [c.rsplit(" :: ", 1)[1] for c in PYPROJECT["project"]["classifiers"]
                if c.startswith("Programming Language :: Python :: 3.")]
    assert versions and min(versions, key=lambda v: tuple(map(int, v.split(".")))) == required
