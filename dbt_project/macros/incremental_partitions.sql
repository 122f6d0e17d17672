{#
  Incremental facts are partitioned by province and year. A partition is rebuilt when a file
  that feeds it (or feeds the previous year, for the change on the same period) was processed
  after the newest file the model has already seen. Reference changes (targets, assignments,
  catalogue) carry no timestamp: rebuild with --full-refresh after loading reference data.

  The changed partitions are read once, when the model is compiled, and written into its SQL as
  literals: unlike a subquery, literals reach the scans under views, window functions and
  aggregates (raw values, targets in force), so an incremental run reads only the changed
  provinces and years. The watermarks stored are those read then, never newer than the data.
#}

{#
  None on a full build. Incrementally, a dict of:
    partitions: the changed partitions, [province_key, period_year, last_file_processed_at as text];
    reporting_units, period_codes: the units of their provinces and the periods of their years;
    with lineage=true also successors (the post-2025 partitions that legacy changed partitions move
    onto through the primary lineage) and predecessors (every legacy partition moving onto those).
  hierarchy keeps the partitions of that hierarchy's provinces only (districts are legacy only).
  The refs are taken at parse time, so that dbt records them, and when the model runs
  incrementally; not otherwise, so that unit tests need no fixtures for them.
#}
{% macro changed_partitions(lineage=false, hierarchy=none) -%}
    {%- if execute and not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermarks = ref('int_partition_watermarks') -%}
    {%- set units = ref('stg_reference__reporting_units') -%}
    {%- set periods = ref('int_periods') -%}
    {%- set admin_units = ref('stg_reference__admin_units') -%}
    {%- if lineage -%}
        {%- set lineage_relation = ref('stg_reference__admin_unit_lineage') -%}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with

        {% if 'period_year' in config.get('unique_key') %}
            -- The newest file seen, partition by partition through the index on
            -- (province_key, period_year, last_file_processed_at): a few hundred index probes
            -- instead of reading the whole table.
            seen as (
                select max(partition_seen.last_file_processed_at) as last_file_processed_at
                from {{ admin_units }} as province
                cross join (select distinct periods.period_year from {{ periods }} as periods) as years
                cross join lateral (
                    select max(model_rows.last_file_processed_at) as last_file_processed_at
                    from {{ this }} as model_rows
                    where
                        model_rows.province_key = province.admin_unit_key
                        and model_rows.period_year = years.period_year
                ) as partition_seen
                where province.admin_level = 'province'
            ),
        {% else %}
            seen as (
                select max(model_rows.last_file_processed_at) as last_file_processed_at
                from {{ this }} as model_rows
            ),
        {% endif %}

        changed as (
            select
                watermark.province_key,
                watermark.period_year,
                watermark.last_file_processed_at
            from {{ watermarks }} as watermark
            where watermark.last_file_processed_at > (
                select coalesce(seen.last_file_processed_at, '-infinity'::timestamptz) from seen
            )
            {% if hierarchy %}
                and watermark.province_key in (
                    select province.admin_unit_key from {{ admin_units }} as province
                    where province.hierarchy = {{ sql_literal(hierarchy) }}
                )
            {% endif %}
        ),

        {% if lineage -%}
        succession as (
            {{ province_succession(lineage_relation, admin_units) }}
        ),

        successors as (
            select distinct
                succession.province_key,
                changed.period_year
            from changed
            inner join succession on changed.province_key = succession.legacy_province_key
        ),

        predecessors as (
            select distinct
                succession.legacy_province_key as province_key,
                successors.period_year
            from successors
            inner join succession on successors.province_key = succession.province_key
        ),
        {%- endif %}

        -- One row of JSON: far cheaper for dbt to read than a row per unit.
        listed as (
            select
                (
                    select coalesce(json_agg(json_build_array(
                        changed.province_key, changed.period_year, changed.last_file_processed_at::text
                    ) order by changed.province_key, changed.period_year), '[]')
                    from changed
                ) as partitions,
                (
                    select coalesce(json_agg(units.reporting_unit_code order by units.reporting_unit_code), '[]')
                    from {{ units }} as units
                    where units.province_key in (select changed.province_key from changed)
                ) as reporting_units,
                (
                    select coalesce(json_agg(periods.period_code order by periods.period_code), '[]')
                    from {{ periods }} as periods
                    where periods.period_year in (select changed.period_year from changed)
                ) as period_codes
                {% if lineage %}
                    ,
                    (
                        select coalesce(json_agg(json_build_array(successors.province_key, successors.period_year)), '[]')
                        from successors
                    ) as successors,
                    (
                        select coalesce(json_agg(json_build_array(predecessors.province_key, predecessors.period_year)), '[]')
                        from predecessors
                    ) as predecessors
                {% endif %}
        )

        select row_to_json(listed)::text from listed
    {%- endset -%}
    {%- set found = fromjson(run_query(query).columns[0].values()[0]) -%}
    {{ log(this.identifier ~ ': rebuilding ' ~ found['partitions'] | length ~ ' changed partitions', info=false) }}
    {{ return(found) }}
{%- endmacro %}

{# A quoted SQL literal. #}
{% macro sql_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#
  A where-clause keeping the rows of the given partitions ([province_key, period_year, ...]);
  true when partitions is none (a full build), false when it is empty. years_back shifts the
  years (1: the year before each partition, for the change on the same period). The columns are
  qualified by alias when one is given.
#}
{% macro in_partitions(partitions, alias=none, years_back=0) -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    {{ partition_filter(prefix ~ 'province_key', prefix ~ 'period_year', partitions, years_back) }}
{%- endmacro %}

{% macro partition_filter(province_column, year_column, partitions, years_back=0) -%}
    {%- if partitions is none -%}
        true
    {%- elif partitions | length == 0 -%}
        false
    {%- else -%}
        {%- set pairs = [] -%}
        {%- for partition in partitions -%}
            {%- do pairs.append('(' ~ sql_literal(partition[0]) ~ ', ' ~ (partition[1] - years_back) ~ ')') -%}
        {%- endfor -%}
        ({{ province_column }}, {{ year_column }}) in ({{ pairs | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{# A where-clause keeping the changed partitions when the model runs incrementally. #}
{% macro in_changed_partitions(changed, alias=none, years_back=0) -%}
    {{ in_partitions(none if changed is none else changed['partitions'], alias, years_back) }}
{%- endmacro %}

{# A where-clause keeping a column's values in a list (true when the list is none). #}
{% macro in_list(column, values) -%}
    {%- if values is none -%}
        true
    {%- elif values | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({% for value in values %}{{ sql_literal(value) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#
  Rows of raw or reference data that may feed the changed partitions: those of the changed
  provinces' reporting units and of the changed years' periods (true on a full build).
#}
{% macro in_changed_units_and_periods(changed) -%}
    {%- if changed is none -%}
        true
    {%- else -%}
        {{ in_list('reporting_unit_code', changed['reporting_units']) }}
        and {{ in_list('period_code', changed['period_codes']) }}
    {%- endif -%}
{%- endmacro %}

{#
  The watermark of each partition: read from int_partition_watermarks on a full build, and
  incrementally the values read when the changed partitions were chosen (a file processed
  while the model runs is then seen as new by the next run).
#}
{% macro partition_watermarks(changed) -%}
    {%- if changed is none -%}
        select
            province_key,
            period_year,
            last_file_processed_at
        from {{ ref('int_partition_watermarks') }}
    {%- elif changed['partitions'] | length == 0 -%}
        select
            null::text as province_key,
            null::integer as period_year,
            null::timestamptz as last_file_processed_at
        where false
    {%- else -%}
        {%- set watermark_rows = [] -%}
        {%- for partition in changed['partitions'] -%}
            {%- do watermark_rows.append(
                '(' ~ sql_literal(partition[0]) ~ '::text, ' ~ partition[1] ~ '::integer, '
                ~ sql_literal(partition[2]) ~ '::timestamptz)'
            ) -%}
        {%- endfor -%}
        select
            changed.province_key,
            changed.period_year,
            changed.last_file_processed_at
        from (
            values
            {{ watermark_rows | join(',\n') }}
        ) as changed (province_key, period_year, last_file_processed_at)
    {%- endif -%}
{%- endmacro %}

{#
  Incremental strategy replace_partitions: delete the target's rows of the partitions (unique_key
  values) present in the new rows, then insert these. The partitions are written into the delete
  as literals, so that it finds their rows through the partition index; dbt's delete+insert joins
  the new rows instead, which reads the whole table when nested loops are off (pre-hooks).
#}
{% macro get_incremental_replace_partitions_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set quoted_keys = [] -%}
    {%- for key in keys -%}
        {%- do quoted_keys.append('quote_nullable(' ~ key ~ ')') -%}
    {%- endfor -%}
    {%- set partitions = run_query(
        "select string_agg(distinct '(' || concat_ws(', ', " ~ quoted_keys | join(', ') ~ ") || ')', ', ') from "
        ~ source
    ).columns[0].values()[0] -%}
    {%- if partitions -%}
        delete from {{ target }}
        where ({{ keys | join(', ') }}) in ({{ partitions }});
    {%- endif %}

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}

{#
  Legacy province -> the post-2025 province its units move onto (primary lineage, same level):
  the legacy series of a province feed its successor's series and change on last year.
#}
{% macro province_succession(lineage_relation, admin_units) -%}
    select distinct
        legacy.province_key as legacy_province_key,
        successor.province_key
    from {{ lineage_relation }} as lineage
    inner join {{ admin_units }} as legacy on lineage.legacy_unit_key = legacy.admin_unit_key
    inner join {{ admin_units }} as successor on lineage.new_unit_key = successor.admin_unit_key
    where lineage.is_primary and successor.admin_level = legacy.admin_level
{%- endmacro %}
