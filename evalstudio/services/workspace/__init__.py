"""The workspace and who works in it: which file to open and opening it, its lock, backups,
the shipped resources, evaluator profiles and the owner's passphrase."""
