"""Data quality before the lock date: expectations, completeness, consistency, lock and snapshot."""
