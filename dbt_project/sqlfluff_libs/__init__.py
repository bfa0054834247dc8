"""Stand-ins for dbt's Jinja context, for `sqlfluff lint` with the plain jinja templater.

sqlfluff renders the models without dbt (no manifest, no database: seconds, not a dbt compile).
Its `apply_dbt_builtins` covers ref/source/var/config/is_incremental/this; the modules here
add what else the models call: `dbt.<cross-database macro>` (dbt.py), `adapter.dispatch`
(adapter.py) and `exceptions` (exceptions.py). Each renders plausible SQL of the same shape as
dbt's DuckDB version, so the file parses; sqlfluff does not lint text that came from a
template. Config: dbt_project/.sqlfluff; docs/development.md, "Lint".
"""
