"""The domain: tasks, candidates, pairs, studies, evaluators. No Qt, no SQL, no model."""
