{#
  Incremental facts are partitioned by province and year. A partition is rebuilt when a file
  that feeds it (or feeds the previous year, for the change on the same period) was processed
  after the newest file the model has already seen. Reference changes (targets, assignments,
  catalogue) carry no timestamp: rebuild with --full-refresh after loading reference data.
#}
{% macro changed_partitions() -%}
    select
        watermark.province_key,
        watermark.period_year
    from {{ ref('int_partition_watermarks') }} as watermark
    where watermark.last_file_processed_at > (
        select coalesce(max(seen.last_file_processed_at), '-infinity'::timestamptz)
        from {{ this }} as seen
    )
{%- endmacro %}

{# A where-clause keeping only the changed partitions of a relation when run incrementally. #}
{% macro in_changed_partitions(alias) -%}
    {%- if is_incremental() -%}
        exists (
            select 1 from ({{ changed_partitions() }}) as changed
            where changed.province_key = {{ alias }}.province_key and changed.period_year = {{ alias }}.period_year
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
