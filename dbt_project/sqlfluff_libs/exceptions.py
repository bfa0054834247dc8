"""`exceptions.raise_compiler_error(...)`: a compile error in dbt; nothing to render here."""


def raise_compiler_error(message) -> str:
    return ""


def warn(message) -> str:
    return ""
