"""Where EvalStudio keeps the user's data: the default workspace and the backups."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The user's data folder for EvalStudio (on Linux ~/.local/share/EvalStudio)."""
    return Path(platformdirs.user_data_dir("EvalStudio", appauthor=False))
