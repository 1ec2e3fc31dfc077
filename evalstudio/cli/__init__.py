"""The command line (click): import, studies, and the app."""
