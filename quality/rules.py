"""The data-quality rules as SQL over raw + reference, computed inside PostgreSQL.

``PREPARE`` names the run's temporary working tables and their queries (values in force at ``as_of``, the completeness
scope, per-series statistics); each entry of ``RULES`` then selects its findings with the same
columns: rule, severity, unit_code, indicator_code, period_code, province_key, evidence.
Parameters are psycopg named parameters (``%(as_of)s`` and those of ``Thresholds.sql_params``).
"""

from __future__ import annotations

PREPARE: dict[str, str] = {
    # Every version received by as_of, read once from the intake's view (lock, lateness, version),
    # with what the rules need per item (unit, period, indicator) computed in the same pass: the
    # view's rows come ordered by item, so these windows add no sort. in_force marks the value in
    # force at as_of (the latest version before the lock); sent_in_time whether any version of
    # the item arrived before its lock.
    "dq_version": """
    select
        received.*,
        not received.is_late
        and received.version = max(received.version) filter (where not received.is_late) over item
        as in_force,
        bool_or(not received.is_late) over item as sent_in_time
    from (
        select unit_code, period_code, indicator_code, value, file_id, received_at,
               version, is_late, lock_date, meeting_date
        from raw.submission_value_version
        where received_at <= %(as_of)s
    ) as received
    window item as (partition by received.unit_code, received.period_code, received.indicator_code)
    """,
    # Values in force at as_of, with what the rules need to know about unit, indicator and period.
    "dq_value": """
    select
        v.unit_code, v.period_code, v.indicator_code, v.value, v.received_at,
        unit.province_key, unit.admin_unit_key, admin.admin_level, admin.parent_key,
        indicator.value_kind, indicator.time_aggregation, indicator.unit_aggregation,
        indicator.min_value, indicator.max_value,
        period.period_type, period.period_year, period.calendar_end
    from dq_version as v
    inner join reference.reporting_unit as unit on v.unit_code = unit.unit_code
    inner join reference.admin_unit as admin on unit.admin_unit_key = admin.admin_unit_key
    inner join reference.indicator as indicator on v.indicator_code = indicator.indicator_code
    inner join reference.reporting_period as period on v.period_code = period.period_code
    where v.in_force
    """,
    # Completeness scope: the expected items (those of dq.expected_item: one per unit, indicator
    # and target period, with the lock closing it) for which nothing at all was received by
    # as_of, closed by each province's next lock or by any lock before it. Targets are matched
    # with what was received on their key first, so only the unsent items are looked up further.
    "dq_scope": """
    with unsent as (
        select distinct target.unit_code, target.indicator_code, target.period_code
        from reference.target
        where not exists (
            select from dq_version as v
            where v.unit_code = target.unit_code and v.period_code = target.period_code
              and v.indicator_code = target.indicator_code)
    ),
    item as (
        select unsent.unit_code, unit.province_key, unit.admin_unit_key, admin.admin_level,
               unsent.indicator_code, unsent.period_code, lock.meeting_date, lock.lock_date,
               (lock.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh') as lock_at, admin.parent_key
        from unsent
        inner join reference.reporting_unit as unit on unsent.unit_code = unit.unit_code
        inner join reference.admin_unit as admin on unit.admin_unit_key = admin.admin_unit_key
        inner join reference.period_lock as lock
            on unit.province_key = lock.province_key and unsent.period_code = lock.period_code
    ),
    -- The first lock after as_of of each province's expected items.
    next_lock as (
        select unit.province_key,
               min(lock.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh') as next_lock_at
        from (select distinct unit_code, period_code from reference.target) as target
        inner join reference.reporting_unit as unit on target.unit_code = unit.unit_code
        inner join reference.admin_unit as admin on unit.admin_unit_key = admin.admin_unit_key
        inner join reference.period_lock as lock
            on unit.province_key = lock.province_key and target.period_code = lock.period_code
        where (lock.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh') > %(as_of)s
        group by unit.province_key
    ),
    sent as (
        select unit_code, period_code, bool_or(not is_late) as in_time
        from dq_version
        where (unit_code, period_code) in (select unit_code, period_code from item)
        group by unit_code, period_code
    )
    select item.*,
           sent.unit_code is not null as period_sent,
           coalesce(sent.in_time, false) as period_sent_in_time
    from item
    left join next_lock on item.province_key = next_lock.province_key
    left join sent on item.unit_code = sent.unit_code and item.period_code = sent.period_code
    where next_lock.next_lock_at is null or item.lock_at <= next_lock.next_lock_at
    """,
    # Series statistics: median and MAD of each unit's own series of an indicator. One sort
    # groups the series; its (few) values are kept to take the deviations from the median.
    "dq_series": """
    with med as (
        select unit_code, indicator_code, period_type,
               percentile_cont(0.5) within group (order by value) as median, count(*) as points,
               array_agg(value) as series_values
        from dq_value
        where value_kind in ('count', 'money', 'quantity', 'percentage', 'rate')
        group by unit_code, indicator_code, period_type
    )
    select med.unit_code, med.indicator_code, med.period_type, med.median, med.points,
           deviation.mad, deviation.mean_ad
    from med
    cross join lateral (
        select percentile_cont(0.5) within group (order by abs(series_value - med.median)) as mad,
               avg(abs(series_value - med.median)) as mean_ad
        from unnest(med.series_values) as series_value
    ) as deviation
    """,
    # Each value against its own history; kept only when it may be a slip (is_slip is the
    # verdict) or an outlier (history_outlier still needs the peers' verdict).
    "dq_scored": """
    select * from (
        select
            scored.*,
            scored.value_kind in ('count', 'money', 'quantity') and scored.points >= %(min_slip_history)s
            and scored.ratio is not null
            and (scored.ratio between %(slip_low)s and %(slip_high)s
                 or scored.ratio between 1 / %(slip_high)s and 1 / %(slip_low)s) as is_slip,
            scored.points >= %(min_history)s and scored.ratio is not null
            and abs(scored.ratio - 1) >= %(outlier_min_change)s
            and (scored.value_kind <> 'count'
                 or abs(scored.value - scored.median) >= %(count_noise_sigmas)s * sqrt(scored.median))
            and coalesce(abs(scored.z_history) > %(z_threshold)s, scored.value <> scored.median)
            as history_outlier
        from (
            select v.*, s.median, s.points, s.mad, s.mean_ad,
                   case when s.median > 0 then v.value / s.median end as ratio,
                   case when s.mad > 0 then 0.6745 * (v.value - s.median) / s.mad
                        when s.mean_ad > 0 then (v.value - s.median) / (1.253314 * s.mean_ad) end as z_history,
                   case when v.value > 0 and s.median > 0 then ln(v.value / s.median) end as log_change
            from dq_value as v
            inner join dq_series as s using (unit_code, indicator_code, period_type)
        ) as scored
    ) as flagged
    where is_slip or history_outlier
    """,
    # Each change against the peers' changes (same indicator, period, province and level), for
    # the groups holding a possible outlier only: no other value needs the peers' verdict.
    "dq_peer": """
    with peer as (
        select v.indicator_code, v.period_code, v.province_key, v.admin_level,
               ln(v.value / s.median) as log_change
        from dq_value as v
        inner join dq_series as s using (unit_code, indicator_code, period_type)
        where v.value > 0 and s.median > 0
          and (v.indicator_code, v.period_code, v.province_key, v.admin_level) in (
              select indicator_code, period_code, province_key, admin_level
              from dq_scored where history_outlier)
    ),
    med as (
        select indicator_code, period_code, province_key, admin_level,
               percentile_cont(0.5) within group (order by log_change) as median, count(*) as peers
        from peer
        group by indicator_code, period_code, province_key, admin_level
    )
    select med.indicator_code, med.period_code, med.province_key, med.admin_level, med.median, med.peers,
           percentile_cont(0.5) within group (order by abs(peer.log_change - med.median)) as mad
    from med
    inner join peer using (indicator_code, period_code, province_key, admin_level)
    group by med.indicator_code, med.period_code, med.province_key, med.admin_level, med.median, med.peers
    """,
    # Values flagged as a slip or an outlier (one verdict per value: a slip explains an outlier,
    # and either explains a yearly jump).
    "dq_verdict": """
    select * from (
        select s.*, p.peers,
               case when p.mad > 0 then 0.6745 * (s.log_change - p.median) / p.mad end as z_peer,
               s.history_outlier
               and (coalesce(p.peers, 0) < %(min_peers)s
                    or coalesce(abs(0.6745 * (s.log_change - p.median) / nullif(p.mad, 0)) > %(z_threshold)s,
                                s.log_change <> p.median)) as is_outlier
        from dq_scored as s
        left join dq_peer as p
            on s.indicator_code = p.indicator_code and s.period_code = p.period_code
            and s.province_key = p.province_key and s.admin_level = p.admin_level
    ) as judged
    where is_slip or is_outlier
    """,
}

FINDING_COLUMNS = "rule, severity, unit_code, indicator_code, period_code, province_key, evidence"

_LOCK_EVIDENCE = """
    'meeting_date', item.meeting_date, 'lock_date', item.lock_date,
    'lock_passed', item.lock_at <= %(as_of)s,
    'days_to_lock', (item.lock_date - (%(as_of)s at time zone 'Asia/Ho_Chi_Minh')::date)
"""

RULES: dict[str, str] = {
    # Nothing at all received for the unit's period: one finding per expected item.
    "missing_submission": f"""
        select 'missing_submission', case when item.lock_at <= %(as_of)s then 'error' else 'warning' end,
               item.unit_code, item.indicator_code, item.period_code, item.province_key,
               jsonb_build_object('admin_level', item.admin_level, {_LOCK_EVIDENCE})
        from dq_scope as item
        where not item.period_sent
    """,
    # The unit sent the period on time but without this expected indicator.
    "partial_submission": f"""
        select 'partial_submission', case when item.lock_at <= %(as_of)s then 'error' else 'warning' end,
               item.unit_code, item.indicator_code, item.period_code, item.province_key,
               jsonb_build_object('admin_level', item.admin_level, {_LOCK_EVIDENCE})
        from dq_scope as item
        where item.period_sent_in_time
    """,
    # Values received on or after the lock date: kept in raw, never in force, never in a snapshot.
    "late_submission": """
        select 'late_submission', 'warning', v.unit_code, null, v.period_code, unit.province_key,
               jsonb_build_object(
                   'lock_date', min(v.lock_date), 'meeting_date', min(v.meeting_date),
                   'first_late_received_at', min(v.received_at), 'late_values', count(*),
                   'files', jsonb_agg(distinct file.file_name),
                   'replaces_in_time_values', bool_or(v.sent_in_time))
        from dq_version as v
        inner join reference.reporting_unit as unit on v.unit_code = unit.unit_code
        inner join raw.submission_file as file on v.file_id = file.file_id
        where v.is_late
        group by v.unit_code, v.period_code, unit.province_key
    """,
    # Stockpiling: no update for N days, and a lock has passed in that silence with a period
    # of the unit's entirely unsent.
    "stale_submission": """
        with last_update as (
            select unit_code, max(received_at) as last_update_at
            from raw.submission_file
            where status = 'loaded' and received_at <= %(as_of)s and unit_code is not null
            group by unit_code
        )
        select 'stale_submission', 'warning', item.unit_code, null, null, item.province_key,
               jsonb_build_object(
                   'last_update_at', last_update.last_update_at,
                   'days_since_update', extract(day from %(as_of)s - last_update.last_update_at)::int,
                   'stale_after_days', %(stale_after_days)s,
                   'missed_periods', jsonb_agg(distinct item.period_code))
        from dq_scope as item
        inner join last_update on item.unit_code = last_update.unit_code
        where not item.period_sent
          and item.lock_at <= %(as_of)s
          and item.lock_at > last_update.last_update_at
          and last_update.last_update_at < %(as_of)s - make_interval(days => %(stale_after_days)s)
        group by item.unit_code, item.province_key, last_update.last_update_at
    """,
    # A total reported for an administrative unit against the sum of its units' figures.
    "inconsistent_rollup": """
        with children as (
            select parent_key, indicator_code, period_code, sum(value) as total, count(*) as units
            from dq_value
            where unit_aggregation = 'sum' and parent_key is not null
            group by parent_key, indicator_code, period_code
        ),
        compared as (
            select parent.*, children.total as units_total, children.units as units_reported,
                   coalesce((%(rollup_tolerances)s::jsonb ->> parent.indicator_code)::numeric,
                            %(rollup_tolerance)s) as tolerance
            from dq_value as parent
            inner join children
                on parent.admin_unit_key = children.parent_key
                and parent.indicator_code = children.indicator_code
                and parent.period_code = children.period_code
            where parent.unit_aggregation = 'sum'
        ),
        -- Only a total off by more than the tolerance either way can be a finding: the units
        -- expected (counted over the targets, as dq.expected_item) are counted for those alone.
        candidate as (
            select * from compared
            where abs(value - units_total) > tolerance * greatest(abs(value), abs(units_total))
               or units_total > value * (1 + tolerance)
        ),
        expected as (
            select admin.parent_key, target.indicator_code, target.period_code,
                   count(distinct target.unit_code) as units
            from reference.target
            inner join reference.reporting_unit as unit on target.unit_code = unit.unit_code
            inner join reference.admin_unit as admin on unit.admin_unit_key = admin.admin_unit_key
            inner join reference.period_lock as lock
                on unit.province_key = lock.province_key and target.period_code = lock.period_code
            where (admin.parent_key, target.indicator_code, target.period_code) in (
                select admin_unit_key, indicator_code, period_code from candidate)
            group by admin.parent_key, target.indicator_code, target.period_code
        ),
        judged as (
            select candidate.*, coalesce(expected.units, candidate.units_reported) as units_expected
            from candidate
            left join expected
                on candidate.admin_unit_key = expected.parent_key
                and candidate.indicator_code = expected.indicator_code
                and candidate.period_code = expected.period_code
        )
        select 'inconsistent_rollup', 'error', unit_code, indicator_code, period_code, province_key,
               jsonb_build_object(
                   'reported_total', value, 'sum_of_units', units_total,
                   'difference', value - units_total,
                   'relative_difference', round(abs(value - units_total)
                                                / nullif(greatest(abs(value), abs(units_total)), 0), 6),
                   'tolerance', tolerance, 'units_reported', units_reported,
                   'units_expected', units_expected)
        from judged
        where (units_reported >= units_expected
               and abs(value - units_total) > tolerance * greatest(abs(value), abs(units_total)))
           or (units_reported < units_expected and units_total > value * (1 + tolerance))
    """,
    # Stocks that accumulate within a year (communes meeting the standard, population) fell.
    "decreasing_cumulative": """
        with ordered as (
            select *, lag(value) over w as previous_value, lag(period_code) over w as previous_period
            from dq_value
            where (time_aggregation = 'last' and value_kind = 'count')
               or indicator_code = any(%(cumulative_indicators)s)
            window w as (partition by unit_code, indicator_code, period_type, period_year
                         order by calendar_end)
        )
        select 'decreasing_cumulative', 'error', unit_code, indicator_code, period_code, province_key,
               jsonb_build_object('value', value, 'previous_period', previous_period,
                                  'previous_value', previous_value, 'drop', previous_value - value)
        from ordered
        where value < previous_value
    """,
    # Outside the catalogue's bounds (percentages 0-100, ranks 1-63, amounts not negative).
    "rate_out_of_range": """
        select 'rate_out_of_range', 'error', unit_code, indicator_code, period_code, province_key,
               jsonb_build_object('value', value, 'min_value', min_value, 'max_value', max_value,
                                  'value_kind', value_kind)
        from dq_value
        where value < min_value or value > max_value
    """,
    "unit_slip": """
        select 'unit_slip', 'error', unit_code, indicator_code, period_code, province_key,
               jsonb_build_object('value', value, 'history_median', median, 'history_points', points,
                                  'ratio_to_median', round(ratio::numeric, 4),
                                  'likely_factor', case when ratio > 1 then 1000 else 0.001 end,
                                  'likely_value', case when ratio > 1 then value / 1000 else value * 1000 end)
        from dq_verdict
        where is_slip
    """,
    "outlier": """
        select 'outlier', 'warning', unit_code, indicator_code, period_code, province_key,
               jsonb_build_object('value', value, 'history_median', median, 'history_mad', mad,
                                  'history_points', points, 'z_history', round(z_history::numeric, 2),
                                  'peers', peers, 'z_peers', round(z_peer::numeric, 2),
                                  'ratio_to_median', round(ratio::numeric, 4))
        from dq_verdict
        where is_outlier and not is_slip
    """,
    "yoy_jump": """
        select 'yoy_jump', 'warning', v.unit_code, v.indicator_code, v.period_code, v.province_key,
               jsonb_build_object('value', v.value, 'last_year_period', last_year.period_code,
                                  'last_year_value', last_year.value,
                                  'ratio', round(v.value / nullif(last_year.value, 0), 4),
                                  'change_points', v.value - last_year.value)
        from dq_value as v
        inner join dq_value as last_year
            on v.unit_code = last_year.unit_code and v.indicator_code = last_year.indicator_code
            and (v.period_year - 1)::text || substr(v.period_code, 5) = last_year.period_code
        where case when v.value_kind in ('percentage', 'rate')
                   then abs(v.value - last_year.value) > %(yoy_points)s
                   when v.value_kind in ('count', 'money', 'quantity')
                   then last_year.value > 0 and v.value >= 0
                        and (v.value > last_year.value * %(yoy_ratio)s
                             or v.value < last_year.value / %(yoy_ratio)s)
                   else false end
          and not exists (select from dq_verdict as flagged
                          where flagged.unit_code = v.unit_code and flagged.indicator_code = v.indicator_code
                            and flagged.period_code = v.period_code)
    """,
}
