{# Layers get their own schema (staging, intermediate, marts), not target_schema + suffix. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        unassigned_schema_check_config
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
