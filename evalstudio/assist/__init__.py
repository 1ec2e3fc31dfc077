"""The model side: model files and backends that stream a model's help."""
