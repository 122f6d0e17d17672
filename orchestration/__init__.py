"""Shared pieces of the Airflow DAGs: defaults, assets, run time, the dbt task group.

The DAG files in ``dags/`` stay thin: they wire these pieces to the project's functions
(``warehouse``, ``ingestion``, ``quality``, ``alerts``), which they import inside their tasks so
that parsing a DAG file touches no database and imports nothing heavy.
"""
