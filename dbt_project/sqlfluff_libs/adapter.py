"""Stand-in for dbt's ``adapter`` when sqlfluff renders models with its jinja templater.

``adapter.dispatch('name')`` resolves to the ``postgres__name`` macro, as dbt does on PostgreSQL.
"""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    return context[f"postgres__{macro_name}"]
