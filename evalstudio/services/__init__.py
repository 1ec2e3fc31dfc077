"""The use cases the UI and the CLI share; the only way either reaches data or the model."""
