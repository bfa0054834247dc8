"""`adapter.dispatch('name')(...)`: the project's `duckdb__name` macro, else `default__name`."""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    # a macro of dbt's own (no project override): a call of the same name parses the same way
    return lambda *args, **kwargs: f"{macro_name}({', '.join(str(a) for a in args)})"


def type() -> str:
    return "duckdb"
