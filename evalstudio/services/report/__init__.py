"""What a study produces: the report and its sections, the assistant's quality, and exports of
the judgment log."""
