"""The assistant: model requests and their log, backends and model roles, the model's
line-by-line suspicion, and the self-test."""
