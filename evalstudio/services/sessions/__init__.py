"""Offline labeling sessions: building a session package and merging one back."""
