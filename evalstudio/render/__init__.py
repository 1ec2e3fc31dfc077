"""Markdown and code to inert HTML for Qt's text views and the HTML report."""
