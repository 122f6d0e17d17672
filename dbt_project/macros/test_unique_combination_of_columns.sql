{# No two rows share the same values in the given columns (the grain of a model). #}
{% test unique_combination_of_columns(model, columns) %}
    {{ return(adapter.dispatch('test_unique_combination_of_columns')(model, columns)) }}
{% endtest %}

{% macro postgres__test_unique_combination_of_columns(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as duplicates
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endmacro %}
