"""The README's two pictures (tools/readme_images.py): made from fixed content — a written
critique that the app parses and places on the demo's binary search — small enough to commit,
and the committed ones are those README.md shows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from evalstudio.assist.backend import GenerationParams
from evalstudio.assist.critique import parse_critique
from evalstudio.core.model import LineRange, Verdict
from evalstudio.services.workspace.resources import demo_dir

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from readme_images import SIZE, FixedCritique, make  # noqa: E402

MAX_BYTES = 150_000


def test_the_fixed_critique_streams_and_parses_onto_the_demo_candidate() -> None:
    stream = FixedCritique().stream([{"role": "user", "content": "x"}], GenerationParams())
    assert stream.wait(10)
    critique = parse_critique(stream.text)
    assert critique.structured and critique.verdict is Verdict.FLAWED
    assert [p.lines for p in critique.points] == [LineRange(4, 4), LineRange(11, 11)]
    demo = [json.loads(line) for line in (demo_dir() / "tasks.jsonl").read_text().splitlines()]
    (binary_search,) = [r for r in demo if r["id"] == "binsearch-a"]
    lines = binary_search["candidate"].splitlines()
    for point in critique.points:
        assert point.lines is not None and point.quote is not None
        assert point.quote in lines[point.lines.start - 1]  # placed where it quotes


def test_make_writes_both_pictures_small(qtbot: QtBot, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    review, report = make(app, tmp_path)
    assert (review.name, report.name) == ("review.png", "report.png")
    for path in (review, report):
        assert path.stat().st_size < MAX_BYTES
        with Image.open(path) as image:
            assert image.size == SIZE and image.mode == "P"  # a palette: reduced colours
            assert len(image.convert("RGB").getcolors(256 * 256) or []) > 20  # not blank
    assert not list(tmp_path.glob("*.full.png"))


def test_the_readme_shows_the_committed_pictures() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("review.png", "report.png"):
        assert f"](docs/images/{name})" in readme
        assert (ROOT / "docs" / "images" / name).stat().st_size < MAX_BYTES
