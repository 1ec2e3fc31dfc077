"""Files in and out: task import now; exports, session packages and merges later."""
