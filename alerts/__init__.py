"""Alerts on missing or inconsistent reports: schedule, e-mail and webhook delivery, alert log.

Entry point: :func:`alerts.dispatch.run_alerts` (called by the Airflow DAG and `kpi alerts`).
"""
