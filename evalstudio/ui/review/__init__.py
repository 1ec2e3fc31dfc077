"""The review view: task, candidate, assistant panel and judgment form."""
