"""The model as an evaluator: model judgments, the model side of a study, pre-generating
assistance for offline sessions, and the sandwiching sweep."""
