"""Submission intake: unit templates, reading CSV/XLSX, validation, COPY loading, landing scans.

Modules: ``templates`` (XLSX templates a unit fills), ``numbers`` (how typed numbers are read),
``readers`` (CSV and XLSX into rows), ``catalog`` (reference lookups loaded once per batch),
``validation`` (every problem of a file), ``loader`` (a chunk staged by COPY, one transaction per file),
``intake`` (the landing-folder scan the Airflow DAG and ``kpi ingest`` call), ``cli``.
"""
