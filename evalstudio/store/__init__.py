"""The only layer that speaks SQL: the workspace file, its schema, and reads and writes of rows."""
