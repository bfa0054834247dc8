"""`dbt.<macro>(...)`: dbt's cross-database macros, rendered as the SQL shape DuckDB gets."""


def _sql(value) -> str:
    return str(value)


def type_string() -> str:
    return "varchar"


def type_int() -> str:
    return "integer"


def type_bigint() -> str:
    return "bigint"


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_float() -> str:
    return "double"


def type_timestamp() -> str:
    return "timestamp"


def type_boolean() -> str:
    return "boolean"


def concat(fields) -> str:
    return "concat(" + ", ".join(_sql(f) for f in fields) + ")"


def hash(field) -> str:
    return f"md5(cast({field} as varchar))"


def safe_cast(field, type_) -> str:
    return f"try_cast({field} as {type_})"


def cast(field, type_) -> str:
    return f"cast({field} as {type_})"


def dateadd(datepart, interval, from_date_or_timestamp) -> str:
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def datediff(first_date, second_date, datepart) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def date_trunc(datepart, date) -> str:
    return f"date_trunc('{datepart}', {date})"


def last_day(date, datepart) -> str:
    return f"last_day({date})"


def position(substring_text, string_text) -> str:
    return f"position({substring_text} in {string_text})"


def length(expression) -> str:
    return f"length({expression})"


def replace(field, old_chars, new_chars) -> str:
    return f"replace({field}, {old_chars}, {new_chars})"


def split_part(string_text, delimiter_text, part_number) -> str:
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def right(string_text, length_expression) -> str:
    return f"right({string_text}, {length_expression})"


def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None) -> str:
    order = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order})"


def any_value(expression) -> str:
    return f"any_value({expression})"


def bool_or(expression) -> str:
    return f"bool_or({expression})"


def current_timestamp() -> str:
    return "current_timestamp"


def string_literal(value) -> str:
    return f"'{value}'"


def escape_single_quotes(expression) -> str:
    return str(expression).replace("'", "''")
