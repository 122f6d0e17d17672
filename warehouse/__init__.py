"""Provincial KPI warehouse: configuration, warehouse connection, reference data and the CLI."""
