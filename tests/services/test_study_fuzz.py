"""Any study file gives a study or a refusal naming the file (and the key at fault), never a
crash: `study validate` writes nothing whatever it finds, and `study create` refuses exactly
what validate refuses, with the same message, leaving the workspace exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
from hypothesis import event, given
from hypothesis import strategies as st
from support.builders import pair, record, write_jsonl
from support.fuzz_settings import FUZZ
from support.fuzz_workspace import Pristine

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.study_definition import StudyDefinition
from evalstudio.services.studies import setup as study_setup
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.studies.setup import check_study_file, create_study
from evalstudio.services.workspace.evaluators import add_evaluator
from evalstudio.services.workspace.opening import Workspace

pytestmark = [
    pytest.mark.fuzz,
    # A tiny plan leaves a simulated study without flawed twins in a condition: numpy warns
    # of the empty mean (the power simulation's, not under test here).
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]

BASE = {"name": "S", "tasks": "tasks.jsonl", "seed": 1, "evaluators": ["Ada", "Bob"]}
KEYS = sorted(StudyDefinition.__dataclass_fields__)
# Files a definition may point at, beside the good ones: missing, a folder, the wrong kind,
# bad rows, not UTF-8, a name longer than the system allows.
FILES = [
    "tasks.jsonl",
    "guidelines.md",
    "latin1.md",
    "bad.jsonl",
    "notes.txt",
    "missing.jsonl",
    "sub",
    "sub/",
    "../tasks.jsonl",
    "a" * 300 + ".jsonl",
    "",
]


@pytest.fixture
def pristine(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pristine:
    """A workspace with the study "Existing" and the evaluator Ada; the files of FILES."""
    # The overview's power simulation is not under test: 2 simulated studies instead of up to
    # 400 keep an example that creates a study at a few milliseconds.
    monkeypatch.setattr(study_setup, "simulated_studies", lambda evaluators, pairs: 2)
    write_jsonl(tmp_path / "tasks.jsonl", [*pair("p0"), record("g0", truth="correct", gold=True)])
    write_jsonl(tmp_path / "bad.jsonl", [record("b0", kind="poem")])
    (tmp_path / "guidelines.md").write_text("# Read every line\n", encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("# Lisez tout, même ça\n".encode("latin-1"))
    (tmp_path / "notes.txt").write_text("not tasks\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    import_tasks(workspace, tmp_path / "tasks.jsonl", "Existing")
    add_evaluator(workspace, "Ada")
    return Pristine(workspace, tmp_path)


def _check_and_create(pristine: Pristine, path: Path, key: str | None = None) -> None:
    """Validate, then create: both refuse alike (naming the file, and `key` if the problem is
    in this file) or both make the study; a refusal, and validating, change nothing."""
    workspace = pristine.workspace
    try:
        try:
            check_study_file(workspace, path)
        except EvalStudioError as e:
            event("refused")
            assert pristine.unchanged()
            _names_the_place(e, path, key)
            with pytest.raises(EvalStudioError) as again:
                create_study(workspace, path)
            assert str(again.value) == str(e)
            assert pristine.unchanged()
        else:
            event("created")
            assert pristine.unchanged()
            create_study(workspace, path)
    finally:
        pristine.restore()


def _names_the_place(e: EvalStudioError, path: Path, key: str | None) -> None:
    """The study file and the key at fault, or (a task file's own problem) that file."""
    assert e.where is not None and str(e).startswith(f"{e.where}: ")
    if e.where != str(path):
        assert key in (None, "tasks"), e  # only the tasks key leads to another file
        assert Path(e.where).parent == path.parent, e
    elif key is not None:
        assert key in e.message, e


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    return path


# --- any text --------------------------------------------------------------------------------

_FRAGMENTS = [
    'name = "S"\n',
    'tasks = "tasks.jsonl"\n',
    'guidelines = "latin1.md"\n',
    "seed = 1\n",
    'evaluators = ["Ada", "Bob"]\n',
    'conditions = ["misleading"]\n',
    "gold_rate = 0.99\n",
    "judgments_per_pair = 2\n",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    '"',
    "'''",
    "\n",
    "\x00",
    "\udcff",
    "\ufeff",
    "nan",
    "1979-05-27T07:32:00Z",
    "x = " + "9" * 5000 + "\n",
    "x = " + "[" * 3000 + "\n",
    "x = " + "{a = " * 3000 + "\n",
]


@FUZZ
@given(text=st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=10), max_size=20).map("".join))
def test_any_text_as_a_study_file_gives_a_study_or_a_refusal_naming_it(
    pristine: Pristine, tmp_path: Path, text: str
) -> None:
    _check_and_create(pristine, _write(tmp_path / "study.toml", text))


# --- a good definition with one key wrong ----------------------------------------------------

_scalars = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
)
_any_toml = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
_names = st.sampled_from(["Ada", "Bob", "Cy", "Ada ", " ", "", "ada", "\u202eAda"])
_fractions = st.floats(-0.5, 1.5) | st.sampled_from([0.0, 1.0, 0.999999, float("nan")])
# Values each key could plausibly hold, right and wrong, beside any TOML value at all.
_PLAUSIBLE: dict[str, st.SearchStrategy[object]] = {
    "name": st.sampled_from(["S", "Existing", " Existing ", "", "  ", "\x00"]),
    "tasks": st.sampled_from(FILES),
    "guidelines": st.sampled_from(FILES),
    "seed": st.integers() | st.text(max_size=8),
    "evaluators": st.lists(_names, max_size=5),
    "conditions": st.lists(
        st.sampled_from(["unassisted", "assisted", "misleading", "Assisted", ""]), max_size=4
    ),
    "assist_kinds": st.lists(
        st.sampled_from(["critique", "fact_check", "explain", "chat", "joke"]), max_size=5
    ),
    "judgments_per_pair": st.integers(-2, 4),
    "misleading_p": _fractions,
    "gold_rate": _fractions,
    "expected_detection": _fractions,
    "commit_before_reveal": st.booleans(),
    "pregenerated": st.booleans(),
    "description": st.text(max_size=30),
}


@st.composite
def _one_key_wrong(draw: st.DrawFn) -> tuple[dict[str, object], str]:
    """The good definition BASE with one key set to some value, or left out; and that key."""
    key = draw(st.sampled_from([*KEYS, "extra", "Name"]))
    definition: dict[str, object] = dict(BASE)
    if key in BASE and draw(st.booleans()) and draw(st.booleans()):
        del definition[key]
        return definition, key
    plausible = _PLAUSIBLE.get(key, st.nothing())
    definition[key] = draw(plausible | _any_toml)
    return definition, key


@FUZZ
@given(wrong=_one_key_wrong())
def test_a_good_definition_with_one_key_wrong_is_refused_naming_that_key(
    pristine: Pristine, tmp_path: Path, wrong: tuple[dict[str, object], str]
) -> None:
    definition, key = wrong
    path = _write(tmp_path / "study.toml", tomli_w.dumps(definition))
    _check_and_create(pristine, path, key)


def test_the_good_definition_makes_the_study(pristine: Pristine, tmp_path: Path) -> None:
    """The baseline of the wrong keys above: BASE itself is valid."""
    path = _write(tmp_path / "study.toml", tomli_w.dumps(BASE))
    assert check_study_file(pristine.workspace, path).items == 3
