"""An evaluator reviewing: the review session (judgments, drafts, undo) and the owner's review
of stored flaws."""
