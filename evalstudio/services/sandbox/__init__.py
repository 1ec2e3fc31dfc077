"""Candidate code run in a sandboxed child process: a pair's tests while authoring, and the
evaluator's runs, examples and probes while reviewing. The *_child modules run in the child."""
