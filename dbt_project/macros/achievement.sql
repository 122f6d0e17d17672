{#
  Direction-aware achievement against a target, in percent.
  higher_is_better: 100 * actual / target.
  lower_is_better:  100 * (2 * target - actual) / target, so 100 at the target, above 100 when
  the actual stays under it (10% under the cap = 110) and below 100 when it goes over.
  No target, no actual or a zero target: null (the status still compares actual and target).
#}
{% macro achievement_pct(actual, target, direction) -%}
    {{ return(adapter.dispatch('achievement_pct')(actual, target, direction)) }}
{%- endmacro %}

{% macro postgres__achievement_pct(actual, target, direction) -%}
    case
        when {{ actual }} is null or {{ target }} is null or {{ target }} = 0 then null
        when {{ direction }} = 'lower_is_better'
            then round(100 * (2 * {{ target }} - {{ actual }}) / {{ target }}, 2)
        else round(100 * {{ actual }} / {{ target }}, 2)
    end
{%- endmacro %}

{#
  Status word of a result: vuot (exceeded), dat (achieved exactly), khong_dat (not achieved),
  chua_bao_cao (not, or not completely, reported: an incomplete figure gets no status of its own).
  Null when there is no target to compare with.
#}
{% macro performance_status(actual, target, direction, is_complete) -%}
    {{ return(adapter.dispatch('performance_status')(actual, target, direction, is_complete)) }}
{%- endmacro %}

{% macro postgres__performance_status(actual, target, direction, is_complete) -%}
    case
        when not {{ is_complete }} or {{ actual }} is null then 'chua_bao_cao'
        when {{ target }} is null then null
        when {{ actual }} = {{ target }} then 'dat'
        when {{ direction }} = 'lower_is_better' and {{ actual }} < {{ target }} then 'vuot'
        when {{ direction }} = 'higher_is_better' and {{ actual }} > {{ target }} then 'vuot'
        else 'khong_dat'
    end
{%- endmacro %}

{# Percentage change against a previous value; null when there is nothing to compare with. #}
{% macro change_pct(current, previous) -%}
    {{ return(adapter.dispatch('change_pct')(current, previous)) }}
{%- endmacro %}

{% macro postgres__change_pct(current, previous) -%}
    case
        when {{ current }} is null or {{ previous }} is null or {{ previous }} = 0 then null
        else round(100 * ({{ current }} - {{ previous }}) / abs({{ previous }}), 2)
    end
{%- endmacro %}

{#
  Shortfall carried into the next quarter (cộng dồn): what is missing against the adjusted
  target, only when it goes against the unit (positive for higher-is-better; negative for
  lower-is-better, where an excess over the cap lowers the next cap).
#}
{% macro carry_over_shortfall(direction, adjusted_target, actual) -%}
    {{ return(adapter.dispatch('carry_over_shortfall')(direction, adjusted_target, actual)) }}
{%- endmacro %}

{% macro postgres__carry_over_shortfall(direction, adjusted_target, actual) -%}
    case
        when {{ direction }} = 'lower_is_better' then least({{ adjusted_target }} - {{ actual }}, 0)
        else greatest({{ adjusted_target }} - {{ actual }}, 0)
    end
{%- endmacro %}
