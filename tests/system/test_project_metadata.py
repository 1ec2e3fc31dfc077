"""pyproject.toml's license is an SPDX expression with its file (PEP 639), and the build
backend it asks for reads that: older setuptools reject the string, and the table form makes
newer ones print a deprecation banner at every install."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_license_is_an_spdx_string_with_its_file_and_a_backend_that_reads_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    license_ = project["project"]["license"]
    assert isinstance(license_, str) and license_ == "Apache-2.0"
    files = project["project"]["license-files"]
    assert files and all((ROOT / name).is_file() for name in files)
    assert "Apache License" in (ROOT / files[0]).read_text(encoding="utf-8")
    (setuptools,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    found = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", setuptools)
    assert found is not None and int(found.group(1)) >= 77  # PEP 639 support
