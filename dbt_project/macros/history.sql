{#- Incremental history (docs/architecture.md, "Incremental history").

    A history model keeps its rows per guarantor and, on DuckDB, rebuilds only the guarantors
    whose rows can have changed since its last build; every other row is what a build from
    scratch at the run's as-of date D would give again. Each row carries its build's marks:
      history_as_of_date  the as-of date of the build that computed the guarantor's rows;
      history_loaded_at   the newest raw load time (raw `_loaded_at` / `loaded_at`) that build saw;
      history_version     an md5 of the SQL of the model and of the models it is computed from.
    A later build rebuilds (macro history_changed_guarantors, in the model's pre-hook):
      - the guarantors of raw rows loaded after the newest history_loaded_at (a late file, a
        re-sent or corrected row: the loaders upsert by key, so a changed row is loaded again),
        and the guarantors that owned those rows before (an encounter moved to another guarantor);
      - the guarantors with a dated row whose date the as-of filters compare with D and that lies
        after the newest history_as_of_date, up to D (a claim paid, a visit serviced since);
      - everything (an empty table, then a rebuild from scratch) when D is before the newest
        history_as_of_date (a backfill of an earlier date), when history_version differs (the
        model's SQL or the SQL it is computed from changed), when an 835 file's rows were
        replaced (a corrected version of a file that failed a gate: its old rows are deleted,
        not upserted), or with `dbt build --full-refresh`.
    Why this equals a build from scratch: a guarantor's rows depend only on that guarantor's raw
    rows and on which of their dates are on or before D; a guarantor none of whose raw rows was
    loaded since and none of whose dates lies between the last build's D and this D would come
    out the same. The equality is a test: tests/warehouse/test_incremental_history.py.
    Other engines (Spark) build the same models as tables: the same SQL with is_incremental()
    false. -#}

{#- The materialization of a history model: incremental where the engine deletes by key
    (DuckDB), a table elsewhere. -#}
{% macro history_materialization() -%}
    {{- 'incremental' if adapter.type() == 'duckdb' else 'table' -}}
{%- endmacro %}

{#- md5 of the raw SQL of the model and of the named models it is computed from. -#}
{% macro history_version(upstream) -%}
    {%- if execute and model is defined -%}
        {%- set parts = [model.raw_code] -%}
        {%- for node in graph.nodes.values() | sort(attribute='name') -%}
            {%- if node.resource_type == 'model' and node.name in upstream -%}
                {%- do parts.append(node.raw_code) -%}
            {%- endif -%}
        {%- endfor -%}
        '{{ local_md5(parts | join('\n--\n')) }}'
    {%- else -%}
        'unversioned'
    {%- endif -%}
{%- endmacro %}

{#- The marks every row of a history model carries (see above). -#}
{% macro history_marks(loaded_at_sql, upstream) -%}
    {{ as_of_date() }} as history_as_of_date,
    ({{ loaded_at_sql }}) as history_loaded_at,
    {{ history_version(upstream) }} as history_version
{%- endmacro %}

{#- The name of the temporary table of the guarantors a build rebuilds. -#}
{% macro history_changed_relation() -%}
    {{ this.identifier }}__changed
{%- endmacro %}

{#- Pre-hook 1: the guarantors to rebuild, into a temporary table (a row with a null
    guarantor_id and is_rebuild true when the build starts again); nothing on a build from
    scratch. changed_sql: a query of guarantor_id that may read the CTEs `mark` (built_as_of,
    loaded_through) and `run` (as_of_date); it must cover every guarantor whose rows can
    change. rebuild_when: a condition (same CTEs) on which the build starts again. -#}
{% macro history_prepare(changed_sql, upstream, rebuild_when='false') -%}
    {%- if is_incremental() -%}
        create or replace temporary table {{ history_changed_relation() }} as
        with mark as (
            select
                max(history_as_of_date) as built_as_of,
                coalesce(max(history_loaded_at), cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }}))
                    as loaded_through,
                max(history_version) as version,
                min(history_version) as min_version
            from {{ this }}
        ),

        run as (select {{ as_of_date() }} as as_of_date),

        starts_again as (
            select
                coalesce(
                    mark.built_as_of is null
                    or run.as_of_date < mark.built_as_of
                    or mark.version <> {{ history_version(upstream) }}
                    or mark.min_version <> mark.version
                    or ({{ rebuild_when }}),
                    true
                ) as is_rebuild
            from mark
            cross join run
        ),

        changed as ({{ changed_sql }})

        select distinct
            c.guarantor_id,
            false as is_rebuild
        from changed as c
        cross join starts_again as s
        where not s.is_rebuild and c.guarantor_id is not null
        union all
        select
            cast(null as {{ dbt.type_string() }}) as guarantor_id,
            true as is_rebuild
        from starts_again
        where is_rebuild
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook 2: the rows of those guarantors out of the table (all rows when starting again). -#}
{% macro history_delete() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ history_is_rebuilt('guarantor_id') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- In the model: true for a guarantor the build computes (all when starting again). -#}
{% macro history_is_rebuilt(guarantor_col) -%}
    {%- if is_incremental() -%}
        (
            {{ guarantor_col }} in (
                select guarantor_id from {{ history_changed_relation() }} where guarantor_id is not null
            )
            or exists (select 1 from {{ history_changed_relation() }} where is_rebuild)
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The balance chain: int_balance_ledger and what it is computed from. -#}
{% macro balance_history_upstream() -%}
    {{- return([
        'stg_encounters', 'stg_patient_transactions', 'stg_remittance_claims',
        'int_remittance_claims_matched', 'int_encounter_adjudications', 'int_encounter_responsibility',
    ]) -}}
{%- endmacro %}

{#- The newest raw load the balance chain reads. -#}
{% macro balance_history_loaded_at() -%}
    select max(loaded_at) from (
        select max(loaded_at) as loaded_at from {{ ref('stg_encounters') }}
        union all
        select max(loaded_at) from {{ ref('stg_patient_transactions') }}
        union all
        select max(loaded_at) from {{ ref('stg_remittance_claims') }}
        union all
        select max(loaded_at) from {{ ref('stg_file_ledger') }}
    ) as loads
{%- endmacro %}

{#- The guarantors whose balance ledger rows can have changed since the last build: rows of
    encounters, postings and 835 claims loaded since (with the guarantors that had them
    before), visits serviced and claims paid after the last build's D, up to this D (the as-of
    filters of int_encounter_responsibility and int_remittance_claims_matched). -#}
{% macro balance_history_changes() -%}
    select e.guarantor_id
    from {{ ref('stg_encounters') }} as e
    cross join mark
    cross join run
    where e.loaded_at > mark.loaded_through
        or (e.service_date > mark.built_as_of and e.service_date <= run.as_of_date)
    union all
    select h.guarantor_id
    from {{ this }} as h
    inner join {{ ref('stg_encounters') }} as e on h.encounter_id = e.encounter_id
    cross join mark
    where e.loaded_at > mark.loaded_through
    union all
    select p.guarantor_id
    from {{ ref('stg_patient_transactions') }} as p
    cross join mark
    where p.loaded_at > mark.loaded_through
    union all
    select e.guarantor_id
    from {{ ref('stg_patient_transactions') }} as p
    inner join {{ ref('stg_encounters') }} as e on p.encounter_id = e.encounter_id
    cross join mark
    where p.loaded_at > mark.loaded_through
    union all
    select h.guarantor_id
    from {{ this }} as h
    inner join {{ ref('stg_patient_transactions') }} as p on h.transaction_id = p.transaction_id
    cross join mark
    where p.loaded_at > mark.loaded_through
    union all
    select e.guarantor_id
    from {{ ref('stg_remittance_claims') }} as c
    inner join {{ ref('stg_encounters') }} as e on c.patient_control_number = e.encounter_id
    cross join mark
    cross join run
    where c.loaded_at > mark.loaded_through
        or (c.payment_date > mark.built_as_of and c.payment_date <= run.as_of_date)
{%- endmacro %}

{#- The balance chain starts again when an 835 file's rows may have been deleted: a file loaded
    since the last build under the name of a loaded file with other bytes (a corrected version
    replaces the rows of a version that failed a gate). -#}
{% macro balance_history_rebuild_when() -%}
    exists (
        select 1
        from {{ ref('stg_file_ledger') }} as f
        inner join {{ ref('stg_file_ledger') }} as o
            on f.file_name = o.file_name and f.file_sha256 <> o.file_sha256
        where f.kind = 'era'
            and f.loaded_at > mark.loaded_through
            and o.loaded_at is not null
    )
{%- endmacro %}
