"""The workspace schema as forward-only migrations, applied in order when a workspace opens.

Never edit a migration that has shipped: add the next one. Tables of events are append-only.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("evalstudio")


def known_names() -> set[str]:
    """The names of every migration this version knows (a newer workspace has others)."""
    return {m.name for m in migrations.pending(Database(memory=True))}


def _run(db: Database, script: str) -> None:
    """Run a DDL script statement by statement inside the migration's transaction.

    sqlite3's executescript() would COMMIT first and break the migration's atomicity.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement[:80]!r}")


def _swap_constraint(db: Database, table: str, old: str, new: str, *, made_by: str) -> None:
    """Replace a table's constraint `old` by `new`, which every existing row satisfies, by
    SQLite's documented procedure (lang_altertable.html, "otheralter"): rewrite the table's
    SQL and bump schema_version; rows and references stay untouched."""
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()
    if sql.count(old) != 1:
        raise ValueError(f"{table} is not as migration {made_by} made it")
    (version,) = db.execute("PRAGMA schema_version").fetchone()
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            [sql.replace(old, new), table],
        )
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")


@migrations()
def m001_initial(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE studies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
            guidelines TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            study_id TEXT NOT NULL REFERENCES studies(id),
            external_id TEXT NOT NULL,
            prompt TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('code', 'text')),
            language TEXT NOT NULL,
            reference TEXT,
            UNIQUE (study_id, external_id)
        ) STRICT;

        CREATE TABLE candidates (
            id TEXT PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(id),
            external_id TEXT NOT NULL,
            text TEXT NOT NULL,
            truth TEXT CHECK (truth IN ('correct', 'flawed')),
            flaw_description TEXT,
            flaw_severity TEXT CHECK (flaw_severity IN ('minor', 'major', 'critical')),
            flaw_line_start INTEGER,
            flaw_line_end INTEGER,
            flaw_span_start INTEGER,
            flaw_span_end INTEGER,
            gold INTEGER NOT NULL DEFAULT 0 CHECK (gold IN (0, 1))
        ) STRICT;
        CREATE INDEX candidates_task ON candidates(task_id);

        CREATE TABLE pairs (
            id TEXT PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(id),
            external_id TEXT NOT NULL,
            correct_id TEXT NOT NULL UNIQUE REFERENCES candidates(id),
            flawed_id TEXT NOT NULL UNIQUE REFERENCES candidates(id),
            test TEXT
        ) STRICT;
        CREATE INDEX pairs_task ON pairs(task_id);

        CREATE TABLE study_items (
            id TEXT PRIMARY KEY,
            study_id TEXT NOT NULL REFERENCES studies(id),
            candidate_id TEXT NOT NULL REFERENCES candidates(id),
            external_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            UNIQUE (study_id, position),
            UNIQUE (study_id, external_id)
        ) STRICT;
        CREATE INDEX study_items_candidate ON study_items(candidate_id);

        CREATE TABLE evaluators (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL CHECK (length(trim(name)) > 0),
            kind TEXT NOT NULL DEFAULT 'human' CHECK (kind IN ('human', 'model')),
            created_at TEXT NOT NULL
        ) STRICT;

        -- Append-only: a revised judgment is a new row that names the one it supersedes.
        -- Later migrations add the judgment form's fields (flaws, ratings, reveal history).
        CREATE TABLE judgments (
            id TEXT PRIMARY KEY,
            study_item_id TEXT NOT NULL REFERENCES study_items(id),
            evaluator_id TEXT NOT NULL REFERENCES evaluators(id),
            verdict TEXT CHECK (verdict IN ('flawed', 'acceptable')),
            skipped_reason TEXT,
            supersedes_id TEXT REFERENCES judgments(id),
            created_at TEXT NOT NULL,
            CHECK ((verdict IS NULL) <> (skipped_reason IS NULL))
        ) STRICT;
        CREATE INDEX judgments_evaluator_item ON judgments(evaluator_id, study_item_id);
        CREATE TRIGGER judgments_append_only_update BEFORE UPDATE ON judgments
            BEGIN SELECT RAISE(ABORT, 'judgments are append-only'); END;
        CREATE TRIGGER judgments_append_only_delete BEFORE DELETE ON judgments
            BEGIN SELECT RAISE(ABORT, 'judgments are append-only'); END;
        """,
    )


@migrations()
def m002_judging_frontier(db: Database) -> None:
    # A derived, rebuildable hint (not data): every item of the study before `position` has a
    # judgment or skip by the evaluator. Judgments are append-only, so once true it stays true,
    # and the next-item query can start there instead of at the study's first item.
    _run(
        db,
        """
        CREATE TABLE judging_frontier (
            evaluator_id TEXT NOT NULL REFERENCES evaluators(id),
            study_id TEXT NOT NULL REFERENCES studies(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (evaluator_id, study_id)
        ) STRICT;
        """,
    )


@migrations()
def m003_assist_events(db: Database) -> None:
    # One row per request to the model, written when it starts and completed when it ends;
    # a row still 'running' after its process died is an incomplete request, never a lost one.
    # Once ended, a row is frozen.
    _run(
        db,
        """
        CREATE TABLE assist_events (
            id TEXT PRIMARY KEY,
            study_item_id TEXT REFERENCES study_items(id),
            evaluator_id TEXT REFERENCES evaluators(id),
            kind TEXT NOT NULL CHECK (kind IN ('critique', 'fact_check', 'explain', 'chat')),
            regenerates_id TEXT REFERENCES assist_events(id),
            chat TEXT,
            messages TEXT NOT NULL,
            backend TEXT NOT NULL,
            model_id TEXT NOT NULL,
            model_sha256 TEXT,
            params TEXT NOT NULL,
            seed INTEGER,
            requested_at TEXT NOT NULL,
            first_token_at TEXT,
            ended_at TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            outcome TEXT NOT NULL DEFAULT 'running'
                CHECK (outcome IN ('running', 'done', 'cancelled', 'error')),
            error TEXT,
            response TEXT NOT NULL DEFAULT '',
            manipulated INTEGER NOT NULL DEFAULT 0 CHECK (manipulated IN (0, 1)),
            manipulation TEXT CHECK (manipulation IN ('pass', 'flag')),
            pregenerated INTEGER NOT NULL DEFAULT 0 CHECK (pregenerated IN (0, 1))
        ) STRICT;
        CREATE INDEX assist_events_item ON assist_events(study_item_id, kind, requested_at);
        CREATE INDEX assist_events_evaluator ON assist_events(evaluator_id, requested_at);
        CREATE TRIGGER assist_events_frozen_update BEFORE UPDATE ON assist_events
            WHEN OLD.outcome <> 'running'
            BEGIN SELECT RAISE(ABORT, 'an ended assist event is frozen'); END;
        CREATE TRIGGER assist_events_no_delete BEFORE DELETE ON assist_events
            BEGIN SELECT RAISE(ABORT, 'assist events are append-only'); END;

        -- SHA-256 of model files, computed once per file version (a 7B GGUF takes seconds).
        CREATE TABLE model_files (
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (path, size, mtime_ns)
        ) STRICT;
        """,
    )


@migrations()
def m004_review(db: Database) -> None:
    # The review window's data. Judgments gain the form's fields; their flaws, retractions
    # (undo) and the evaluator's interactions are append-only rows, so the current judgment
    # is a query and an undo is a row. A draft is the one row replaced in place: it is the
    # form as typed, superseded by the judgment that submits it.
    _run(
        db,
        """
        ALTER TABLE studies ADD COLUMN commit_before_reveal INTEGER NOT NULL DEFAULT 0
            CHECK (commit_before_reveal IN (0, 1));
        ALTER TABLE studies ADD COLUMN misleading_p REAL NOT NULL DEFAULT 0.3
            CHECK (misleading_p BETWEEN 0 AND 1);

        ALTER TABLE judgments ADD COLUMN stage TEXT NOT NULL DEFAULT 'final'
            CHECK (stage IN ('first', 'final'));
        -- NULL on judgments made before conditions were recorded.
        ALTER TABLE judgments ADD COLUMN condition TEXT
            CHECK (condition IN ('unassisted', 'assisted', 'misleading'));
        ALTER TABLE judgments ADD COLUMN quality INTEGER CHECK (quality BETWEEN 1 AND 7);
        ALTER TABLE judgments ADD COLUMN confidence INTEGER CHECK (confidence BETWEEN 1 AND 5);
        ALTER TABLE judgments ADD COLUMN rationale TEXT NOT NULL DEFAULT '';
        ALTER TABLE judgments ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0
            CHECK (active_ms >= 0);

        CREATE TABLE judgment_flaws (
            judgment_id TEXT NOT NULL REFERENCES judgments(id),
            position INTEGER NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
            description TEXT NOT NULL,
            line_start INTEGER,
            line_end INTEGER,
            span_start INTEGER,
            span_end INTEGER,
            source TEXT NOT NULL CHECK (source IN ('own', 'assistant')),
            assist_event_id TEXT REFERENCES assist_events(id),
            point_index INTEGER,
            PRIMARY KEY (judgment_id, position),
            CHECK ((line_start IS NULL) = (line_end IS NULL)),
            CHECK ((span_start IS NULL) = (span_end IS NULL))
        ) STRICT;
        CREATE TRIGGER judgment_flaws_append_only_update BEFORE UPDATE ON judgment_flaws
            BEGIN SELECT RAISE(ABORT, 'judgment flaws are append-only'); END;
        CREATE TRIGGER judgment_flaws_append_only_delete BEFORE DELETE ON judgment_flaws
            BEGIN SELECT RAISE(ABORT, 'judgment flaws are append-only'); END;

        -- Undo of a submitted judgment: the judgment stays, a retraction names it.
        CREATE TABLE judgment_retractions (
            id TEXT PRIMARY KEY,
            judgment_id TEXT NOT NULL UNIQUE REFERENCES judgments(id),
            created_at TEXT NOT NULL
        ) STRICT;
        CREATE TRIGGER judgment_retractions_append_only_update
            BEFORE UPDATE ON judgment_retractions
            BEGIN SELECT RAISE(ABORT, 'retractions are append-only'); END;
        CREATE TRIGGER judgment_retractions_append_only_delete
            BEFORE DELETE ON judgment_retractions
            BEGIN SELECT RAISE(ABORT, 'retractions are append-only'); END;

        CREATE TABLE drafts (
            evaluator_id TEXT NOT NULL REFERENCES evaluators(id),
            study_item_id TEXT NOT NULL REFERENCES study_items(id),
            stage TEXT NOT NULL CHECK (stage IN ('first', 'final')),
            form TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            PRIMARY KEY (evaluator_id, study_item_id)
        ) STRICT;

        -- How the evaluator used the review window: items opened, assistance revealed and
        -- shown, critique points marked, undos. The resume position is the newest 'open'.
        CREATE TABLE review_events (
            id TEXT PRIMARY KEY,
            evaluator_id TEXT NOT NULL REFERENCES evaluators(id),
            study_item_id TEXT NOT NULL REFERENCES study_items(id),
            kind TEXT NOT NULL
                CHECK (kind IN ('open', 'reveal', 'show_response', 'mark_point', 'undo')),
            assist_event_id TEXT REFERENCES assist_events(id),
            point_index INTEGER,
            mark TEXT CHECK (mark IN ('valid', 'invalid', 'cleared')),
            at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX review_events_evaluator ON review_events(evaluator_id, at);
        CREATE INDEX review_events_item ON review_events(study_item_id, evaluator_id, kind);
        CREATE TRIGGER review_events_append_only_update BEFORE UPDATE ON review_events
            BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
        CREATE TRIGGER review_events_append_only_delete BEFORE DELETE ON review_events
            BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;

        -- An evaluator's items in the order and under the condition the study assigns them.
        -- An evaluator without rows here sees the study's items in order, assisted.
        CREATE TABLE assignments (
            study_id TEXT NOT NULL REFERENCES studies(id),
            evaluator_id TEXT NOT NULL REFERENCES evaluators(id),
            position INTEGER NOT NULL,
            study_item_id TEXT NOT NULL REFERENCES study_items(id),
            condition TEXT NOT NULL CHECK (condition IN ('unassisted', 'assisted', 'misleading')),
            PRIMARY KEY (evaluator_id, study_id, position),
            UNIQUE (evaluator_id, study_item_id)
        ) STRICT;
        """,
    )


@migrations()
def m005_study_designs(db: Database) -> None:
    # The owner's definition of a study (study.toml as JSON), written once when the study is
    # created from it; its plan is in `assignments`. Studies made by a bare import have none.
    _run(
        db,
        """
        CREATE TABLE study_designs (
            study_id TEXT PRIMARY KEY REFERENCES studies(id),
            definition TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT;
        CREATE TRIGGER study_designs_frozen BEFORE UPDATE ON study_designs
            BEGIN SELECT RAISE(ABORT, 'a study design is fixed once labeling can start'); END;
        """,
    )


@migrations()
def m006_pair_checks(db: Database) -> None:
    # The latest result of running a pair's test against both twins (derived, re-checkable:
    # replaced by the next check). 'unverified' pairs are flagged to the owner.
    _run(
        db,
        """
        CREATE TABLE pair_checks (
            pair_id TEXT PRIMARY KEY REFERENCES pairs(id),
            verdict TEXT NOT NULL CHECK (verdict IN ('verified', 'unverified', 'broken')),
            explanation TEXT NOT NULL,
            checked_at TEXT NOT NULL
        ) STRICT;
        """,
    )


@migrations()
def m007_workspace_settings(db: Database) -> None:
    # Settings that belong to the workspace, not to a machine: the owner's passphrase hash.
    _run(
        db,
        """
        CREATE TABLE workspace_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;
        """,
    )


@migrations()
def m008_flaw_reviews(db: Database) -> None:
    # The owner's review of flaws evaluators reported away from the planted one: real or not.
    # Append-only; the newest review of a flaw is the current one.
    _run(
        db,
        """
        CREATE TABLE flaw_reviews (
            id TEXT PRIMARY KEY,
            judgment_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            real INTEGER NOT NULL CHECK (real IN (0, 1)),
            reviewed_at TEXT NOT NULL,
            FOREIGN KEY (judgment_id, position) REFERENCES judgment_flaws(judgment_id, position)
        ) STRICT;
        CREATE INDEX flaw_reviews_flaw ON flaw_reviews(judgment_id, position);
        CREATE TRIGGER flaw_reviews_append_only_update BEFORE UPDATE ON flaw_reviews
            BEGIN SELECT RAISE(ABORT, 'flaw reviews are append-only'); END;
        CREATE TRIGGER flaw_reviews_append_only_delete BEFORE DELETE ON flaw_reviews
            BEGIN SELECT RAISE(ABORT, 'flaw reviews are append-only'); END;
        """,
    )


@migrations()
def m009_session_packages(db: Database) -> None:
    # Offline sessions. `package_info` has its one row only in a session package (a workspace
    # file holding one evaluator's share of a study, docs/session-packages.md); it is empty in
    # a workspace. `merge_conflicts` keeps every incoming row a merge found under an id the
    # workspace holds with other content: reported and kept, never written over the
    # workspace's row. `assist_events.prepared_for` names the evaluator a response was
    # pre-generated for (the misleading condition's responses are made per evaluator);
    # `evaluator_id` still names who asked, so a prepared response counts only once shown.
    _run(
        db,
        """
        CREATE TABLE package_info (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            format_version INTEGER NOT NULL CHECK (format_version >= 1),
            study_id TEXT NOT NULL REFERENCES studies(id),
            evaluator_id TEXT NOT NULL REFERENCES evaluators(id),
            source TEXT NOT NULL,
            model TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE merge_conflicts (
            id TEXT PRIMARY KEY,
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,
            columns TEXT NOT NULL,
            row TEXT NOT NULL,
            row_sha256 TEXT NOT NULL,
            source TEXT NOT NULL,
            merged_at TEXT NOT NULL,
            UNIQUE (table_name, row_key, row_sha256)
        ) STRICT;
        CREATE TRIGGER merge_conflicts_append_only_update BEFORE UPDATE ON merge_conflicts
            BEGIN SELECT RAISE(ABORT, 'merge conflicts are append-only'); END;
        CREATE TRIGGER merge_conflicts_append_only_delete BEFORE DELETE ON merge_conflicts
            BEGIN SELECT RAISE(ABORT, 'merge conflicts are append-only'); END;

        ALTER TABLE assist_events ADD COLUMN prepared_for TEXT REFERENCES evaluators(id);
        """,
    )


@migrations()
def m010_model_evaluators(db: Database) -> None:
    # Artificial sandwiching. `model_evaluators` holds what a model evaluator profile is (its
    # model, prompts, seed, how often it asks for help; in a sweep, the assistant's
    # misalignment and p), frozen once written. `judge_calls` logs every request a model
    # evaluator made to its own model, as assist_events log the assistant's. A sweep is a
    # `sandwich_runs` row (settings, hashed to find the run again to resume it) and one cell
    # per (p, repeat), each played by its own model evaluator.
    # `assist_events.misalignment` names how a manipulated response was chosen; `basis_id`
    # the honest critique a flip argued against. A request with a fixed seed, evaluated afresh,
    # is a pure function of (model, messages, parameters), hashed in `request_sha256`: asked
    # again, its response is replayed into a new row that names the one it replays
    # (`reused_from`) instead of being computed again.
    _run(
        db,
        """
        ALTER TABLE assist_events ADD COLUMN misalignment TEXT
            CHECK (misalignment IN ('adversarial', 'flip', 'random'));
        ALTER TABLE assist_events ADD COLUMN basis_id TEXT REFERENCES assist_events(id);
        ALTER TABLE assist_events ADD COLUMN request_sha256 TEXT;
        ALTER TABLE assist_events ADD COLUMN reused_from TEXT REFERENCES assist_events(id);

        CREATE TABLE model_evaluators (
            evaluator_id TEXT PRIMARY KEY REFERENCES evaluators(id),
            settings TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT;
        CREATE TRIGGER model_evaluators_frozen_update BEFORE UPDATE ON model_evaluators
            BEGIN SELECT RAISE(ABORT, 'a model evaluator''s settings are frozen'); END;
        CREATE TRIGGER model_evaluators_frozen_delete BEFORE DELETE ON model_evaluators
            BEGIN SELECT RAISE(ABORT, 'a model evaluator''s settings are frozen'); END;

        CREATE TABLE judge_calls (
            id TEXT PRIMARY KEY,
            evaluator_id TEXT NOT NULL REFERENCES evaluators(id),
            study_item_id TEXT NOT NULL REFERENCES study_items(id),
            stage TEXT NOT NULL CHECK (stage IN ('first', 'final')),
            messages TEXT NOT NULL,
            params TEXT NOT NULL,
            seed INTEGER,
            response TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('done', 'cancelled', 'error')),
            error TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            judgment_id TEXT REFERENCES judgments(id),
            request_sha256 TEXT NOT NULL,
            reused_from TEXT REFERENCES judge_calls(id),
            requested_at TEXT NOT NULL,
            ended_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX judge_calls_request ON judge_calls(request_sha256);
        CREATE INDEX judge_calls_evaluator ON judge_calls(evaluator_id, study_item_id);
        CREATE TRIGGER judge_calls_append_only_update BEFORE UPDATE ON judge_calls
            BEGIN SELECT RAISE(ABORT, 'judge calls are append-only'); END;
        CREATE TRIGGER judge_calls_append_only_delete BEFORE DELETE ON judge_calls
            BEGIN SELECT RAISE(ABORT, 'judge calls are append-only'); END;

        CREATE TABLE sandwich_runs (
            id TEXT PRIMARY KEY,
            study_id TEXT NOT NULL REFERENCES studies(id),
            settings TEXT NOT NULL,
            settings_sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (study_id, settings_sha256)
        ) STRICT;
        CREATE TABLE sandwich_cells (
            run_id TEXT NOT NULL REFERENCES sandwich_runs(id),
            p REAL NOT NULL CHECK (p BETWEEN 0 AND 1),
            repeat INTEGER NOT NULL CHECK (repeat >= 1),
            evaluator_id TEXT NOT NULL UNIQUE REFERENCES evaluators(id),
            PRIMARY KEY (run_id, p, repeat)
        ) STRICT;
        """,
    )


@migrations()
def m011_signed_packages(db: Database) -> None:
    # The workspace's secret signs the session packages it writes (core/signing.py) and tells
    # a whole copy of this workspace from a file made to look like one. A package keeps no
    # secret of its own (store/package_info.py removes it) and carries its signature in
    # `package_info.token`. OR IGNORE: a file copied row by row from one that has it keeps it.
    _run(
        db,
        """
        INSERT OR IGNORE INTO workspace_settings (key, value)
            VALUES ('workspace_secret', lower(hex(randomblob(32))));
        ALTER TABLE package_info ADD COLUMN token TEXT;
        """,
    )


@migrations()
def m012_study_secrets(db: Database) -> None:
    # Each study's id secret (core/ids.py): the ids of its tasks, candidates, items and pairs
    # are HMACs of the record ids under it, so a session package's ids cannot be recomputed
    # from guessed record ids. Made with the study; a study from before has none and keeps
    # its plain ids. Copied with a whole workspace, never into a package (a table it leaves
    # empty).
    _run(
        db,
        """
        CREATE TABLE study_secrets (
            study_id TEXT PRIMARY KEY REFERENCES studies(id),
            secret TEXT NOT NULL CHECK (length(secret) >= 32)
        ) STRICT;
        """,
    )


@migrations()
def m013_assist_kinds(db: Database) -> None:
    # The kinds of assistance become rows of a lookup table that `assist_events.kind` refers
    # to, instead of a CHECK list: a new kind is one INSERT in its migration, not a rebuild of
    # the log. The constraint is swapped in place by SQLite's documented procedure for changing
    # constraints that every existing row satisfies (lang_altertable.html, "otheralter"):
    # rewrite the table's SQL and bump schema_version; rows and references stay untouched.
    # run / examples / probe: the candidate executed (issue 19); suspicion: per-line doubt.
    old = "kind TEXT NOT NULL CHECK (kind IN ('critique', 'fact_check', 'explain', 'chat'))"
    new = "kind TEXT NOT NULL REFERENCES assist_kinds(name)"
    _run(
        db,
        """
        CREATE TABLE assist_kinds (name TEXT PRIMARY KEY) STRICT;
        INSERT INTO assist_kinds (name) VALUES ('critique'), ('fact_check'), ('explain'),
            ('chat'), ('run'), ('examples'), ('probe'), ('suspicion');
        """,
    )
    _swap_constraint(db, "assist_events", old, new, made_by="m003")


@migrations()
def m014_task_conversations(db: Database) -> None:
    # A conversation candidate's turns before the evaluated one (core/conversation.py), a JSON
    # array of {"role", "content"}; NULL for a single-answer task. The evaluated turn itself is
    # the candidate's text, so everything that works on a candidate works on it.
    _run(
        db,
        """
        ALTER TABLE tasks ADD COLUMN conversation TEXT
            CHECK (conversation IS NULL OR json_valid(conversation));
        """,
    )


@migrations()
def m015_judgment_answers(db: Database) -> None:
    # Answers to a study's rubric questions (study.toml [[questions]]), one row per question
    # answered, keyed by the judgment they were submitted with. They travel with the judgment:
    # a revision is a new judgment with its own answers, an undo's retraction takes them back
    # with it, a draft holds them in its form, and a merge takes them exactly as it takes a
    # judgment's flaws (only under a judgment that came in with the same file). `value` is the
    # answer as JSON (a number, a string, a list of options), checked against the question on
    # submit and on merge.
    _run(
        db,
        """
        CREATE TABLE judgment_answers (
            judgment_id TEXT NOT NULL REFERENCES judgments(id),
            question_key TEXT NOT NULL,
            value TEXT NOT NULL CHECK (json_valid(value)),
            PRIMARY KEY (judgment_id, question_key)
        ) STRICT;
        CREATE TRIGGER judgment_answers_append_only_update BEFORE UPDATE ON judgment_answers
            BEGIN SELECT RAISE(ABORT, 'judgment answers are append-only'); END;
        CREATE TRIGGER judgment_answers_append_only_delete BEFORE DELETE ON judgment_answers
            BEGIN SELECT RAISE(ABORT, 'judgment answers are append-only'); END;
        """,
    )


@migrations()
def m016_served_by(db: Database) -> None:
    # Requests may go to several servers of one model (assist/server_pool.py): each request
    # to the assistant and each model evaluator's request to its judge names the server that
    # answered it (its base URL; empty for a local model or a replayed answer).
    _run(
        db,
        """
        ALTER TABLE assist_events ADD COLUMN served_by TEXT;
        ALTER TABLE judge_calls ADD COLUMN served_by TEXT;
        """,
    )


@migrations()
def m017_compare_rank(db: Database) -> None:
    # Compare and rank items (core/comparison.py). An item's layout; a compare or rank item's
    # candidates in slots (slot 0 is study_items.candidate_id; a pair's correct twin); the
    # order one evaluator sees them in (assignments.sides, slots as a JSON list; NULL for a
    # single item, or a study without a plan: then core/comparison.shown_order); and the
    # judgment of such an item: its ordering of the candidates (tiers of candidate ids, best
    # first) with a comparison's strength. Such a judgment has no verdict, so the judgments
    # check is loosened from "a verdict or a skip" to "not both" (existing rows hold).
    _run(
        db,
        """
        ALTER TABLE study_items ADD COLUMN layout TEXT NOT NULL DEFAULT 'single'
            CHECK (layout IN ('single', 'compare', 'rank'));
        CREATE TABLE item_sides (
            study_item_id TEXT NOT NULL REFERENCES study_items(id),
            slot INTEGER NOT NULL CHECK (slot BETWEEN 0 AND 8),
            candidate_id TEXT NOT NULL REFERENCES candidates(id),
            PRIMARY KEY (study_item_id, slot),
            UNIQUE (study_item_id, candidate_id)
        ) STRICT;
        CREATE INDEX item_sides_candidate ON item_sides(candidate_id);
        ALTER TABLE assignments ADD COLUMN sides TEXT
            CHECK (sides IS NULL OR json_valid(sides));
        CREATE TABLE judgment_orders (
            judgment_id TEXT PRIMARY KEY REFERENCES judgments(id),
            tiers TEXT NOT NULL CHECK (json_valid(tiers)),
            strength INTEGER CHECK (strength IS NULL OR strength IN (1, 2))
        ) STRICT;
        CREATE TRIGGER judgment_orders_append_only_update BEFORE UPDATE ON judgment_orders
            BEGIN SELECT RAISE(ABORT, 'judgment orders are append-only'); END;
        CREATE TRIGGER judgment_orders_append_only_delete BEFORE DELETE ON judgment_orders
            BEGIN SELECT RAISE(ABORT, 'judgment orders are append-only'); END;
        """,
    )
    old = "CHECK ((verdict IS NULL) <> (skipped_reason IS NULL))"
    new = "CHECK (verdict IS NULL OR skipped_reason IS NULL)"
    _swap_constraint(db, "judgments", old, new, made_by="m001")


@migrations()
def m018_compare_kind(db: Database) -> None:
    # The assistant's Comparison of a compare item's two answers (core/assist_kinds.py). Its
    # requests, and those about one side of a compare item, name what they were about in
    # their params: `shown` (the answers in the order the evaluator saw them) or `side`.
    _run(db, "INSERT INTO assist_kinds (name) VALUES ('compare');")
