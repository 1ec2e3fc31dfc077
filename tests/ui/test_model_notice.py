"""The assistant panel says when the model is the bundled demo one, and offers each kind only
on the items the registry says it fits (fact-check: text, or code with a reference)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from support.windows import open_main_window, start_review

from evalstudio.core.assistance import AssistKind
from evalstudio.core.model import Kind, Study
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.review.review_view import ReviewView


def _open(qtbot: QtBot, review: ReviewView, kind: Kind) -> None:
    index = next(i for i, e in enumerate(review.session.queue) if e.item.kind is kind)
    review.open_index(index)
    qtbot.waitUntil(lambda: review.loaded)


def test_the_demo_model_is_named_as_such_and_fact_check_shows_only_where_it_fits(
    qtbot: QtBot, workspace: Workspace, local_backend: object, demo_study: Study
) -> None:
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, local_backend) as window:
        review = start_review(qtbot, window, demo_study, ada)
        panel = review.panel
        assert window.host.settings.uses_bundled_model()  # no model chosen: the bundled one
        assert not panel.demo_note.isHidden()
        assert "SmolLM2-135M" in panel.demo_note.text() and "Settings" in panel.demo_note.text()

        _open(qtbot, review, Kind.CODE)  # the demo's code tasks have no reference
        assert not review.entry.item.has_reference
        assert panel.buttons[AssistKind.FACT_CHECK].isHidden()
        assert not panel.buttons[AssistKind.CRITIQUE].isHidden()
        _open(qtbot, review, Kind.TEXT)
        assert not panel.buttons[AssistKind.FACT_CHECK].isHidden()

        panel.set_demo_model(False)  # e.g. a GGUF of one's own chosen in Settings
        assert panel.demo_note.isHidden()
