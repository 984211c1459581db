"""Object ids as they arrive in paths and query strings."""

# Primary keys are bigint: anything larger cannot name a row.
MAX_ID = 2**63 - 1


def object_id(value) -> int | None:
    """The id `value` spells in ASCII digits, or None.

    `str.isdigit` is true for "³" and "٣", which `int` then refuses or reads as 3:
    an id is ASCII digits only, and within bigint.
    """
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
