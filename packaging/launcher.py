"""The frozen app's entry point: the `evalstudio` command — or, when the app itself starts one,
a sandboxed pair-test child (a frozen binary cannot run `python -I script.py`)."""

from __future__ import annotations

import sys
from pathlib import Path

from evalstudio.services.sandbox.pair_tests import CHILD_FLAG

if __name__ == "__main__":
    if sys.argv[1:2] == [CHILD_FLAG]:
        from evalstudio.services.sandbox.pair_tests_child import main as child

        sys.stdout.reconfigure(write_through=True)  # as `python -u`: output before a kill stays
        child(Path(sys.argv[2]))
    if sys.argv[1:2] == ["--candidate-run-child"]:  # services/candidate_runs.RUN_CHILD_FLAG
        from evalstudio.services.sandbox.candidate_runs_child import main as run_child

        sys.stdout.reconfigure(write_through=True)
        run_child(Path(sys.argv[2]))
    from evalstudio.cli.main import main

    main(prog_name="evalstudio")
