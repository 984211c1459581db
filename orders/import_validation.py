"""A serializer's own validation, driven without DRF's per-field machinery, for imports.

Validating an order with `OrderInput.run_validation` costs about 250 µs (three lines,
one payment: ~50 fields), three quarters of an import's CPU; most of it is DRF walking
its machinery around each field (getting the value, empty values, running each
validator through its wrapper), not the checks themselves. `compile_validator` reads a
serializer's declared fields once and returns a function that, for one body, runs each
field's own `to_internal_value`, the same checks as its validators (the common ones
inline: lengths, bounds, NUL and surrogate characters; others called as they are), each
serializer's own `validate()`, and fills defaults with each field's own `get_default()`.

It never reports an error. Whatever it is not sure of (a value of an unexpected type, a
missing required value, a failed check, a field or serializer that customises what this
relies on) makes it answer None, and the caller validates that body with the serializer
itself, which gives the API's exact errors. So when it answers, it answers what
`run_validation` returns; tests/test_import_validation.py holds it to that.
"""

from collections.abc import Callable

from django.core import validators as django_validators
from rest_framework import fields as drf_fields
from rest_framework import serializers
from rest_framework import validators as drf_validators

from kernel.serializers import StrictSerializer

MISSING = object()
SKIP = object()  # a missing optional value without a default: DRF leaves the key out


class _Unsure(Exception):
    """This body is not one the plan is sure of: validate it with the serializer."""


class _Unsupported(Exception):
    """The serializer customises something the plan would have to copy: no plan."""


def compile_validator(serializer: serializers.Serializer) -> Callable[[dict], dict | None]:
    """A function validating a body as `serializer.run_validation` would, or answering
    None when unsure; one that always answers None if the serializer cannot be planned."""
    try:
        plan = _serializer(serializer)
    except _Unsupported:
        return lambda body: None

    def validate(body):
        try:
            return plan(body)
        except Exception:  # any doubt goes to the serializer itself
            return None

    return validate


def _serializer(serializer) -> Callable:
    kind = type(serializer)
    if (
        kind.run_validation is not serializers.Serializer.run_validation
        or kind.run_validators is not serializers.Serializer.run_validators
        or kind.to_internal_value
        not in (serializers.Serializer.to_internal_value, StrictSerializer.to_internal_value)
        or serializer.validators
    ):
        raise _Unsupported(kind)
    strict = kind.to_internal_value is StrictSerializer.to_internal_value
    known = frozenset(serializer.fields)
    plans = []
    for field in serializer._writable_fields:
        if getattr(serializer, "validate_" + field.field_name, None) is not None:
            raise _Unsupported(field.field_name)
        if field.source_attrs != [field.field_name]:
            raise _Unsupported(field.field_name)
        plans.append((field.field_name, _field(field)))
    validate = serializer.validate

    def run(data):
        if type(data) is not dict or (strict and not known.issuperset(data)):
            raise _Unsure
        validated = {}
        for name, plan in plans:
            value = plan(data.get(name, MISSING))
            if value is not SKIP:
                validated[name] = value
        validated = validate(validated)
        if validated is None:
            raise _Unsure
        return validated

    return run


def _list(serializer: serializers.ListSerializer) -> Callable:
    kind = type(serializer)
    if (
        kind.run_validation is not serializers.ListSerializer.run_validation
        or kind.to_internal_value is not serializers.ListSerializer.to_internal_value
        or kind.run_child_validation is not serializers.ListSerializer.run_child_validation
        or serializer.validators
    ):
        raise _Unsupported(kind)
    child = _field(serializer.child, bare=True)
    allow_empty, low, high = serializer.allow_empty, serializer.min_length, serializer.max_length
    validate = serializer.validate

    def run(data):
        if type(data) is not list or (not allow_empty and not data):
            raise _Unsure
        if (high is not None and len(data) > high) or (low is not None and len(data) < low):
            raise _Unsure
        return validate([child(item) for item in data])

    return run


def _field(field, *, bare=False) -> Callable:
    """The plan of one field: its empty values as DRF treats them, then its value."""
    kind = type(field)
    if field.read_only or kind.validate_empty_values is not drf_fields.Field.validate_empty_values:
        raise _Unsupported(field)
    if bare:  # a list's child: DRF calls its run_validation directly
        pass
    elif kind.get_value not in (
        drf_fields.Field.get_value,
        serializers.Serializer.get_value,
        serializers.ListSerializer.get_value,
    ):
        raise _Unsupported(field)
    if isinstance(field, serializers.ListSerializer):
        value = _list(field)
    elif isinstance(field, serializers.Serializer):
        value = _serializer(field)
    elif isinstance(field, drf_fields.CharField):
        value = _char(field)
    elif kind.run_validation is drf_fields.Field.run_validation:
        value = _leaf(field)
    else:
        raise _Unsupported(field)
    required, allow_null = field.required, field.allow_null

    def run(raw):
        if raw is MISSING:
            if required:
                raise _Unsure
            try:
                return field.get_default()
            except drf_fields.SkipField:
                return SKIP
        if raw is None:
            if not allow_null:
                raise _Unsure
            return None
        return value(raw)

    return run


def _char(field: drf_fields.CharField) -> Callable:
    """CharField.run_validation for a string: blank first, then the value and its checks."""
    if type(field).run_validation is not drf_fields.CharField.run_validation:
        raise _Unsupported(field)
    allow_blank, trim = field.allow_blank, field.trim_whitespace
    # Plain CharField and EmailField only strip; a subclass converts in its own way.
    own = type(field).to_internal_value is not drf_fields.CharField.to_internal_value
    convert = field.to_internal_value
    check = _checks(field)

    def run(raw):
        if type(raw) is not str:
            raise _Unsure  # DRF would make a string of a number: let it
        stripped = raw.strip()
        if raw == "" or (trim and stripped == ""):
            if allow_blank:
                return ""
            raise _Unsure
        value = convert(raw) if own else (stripped if trim else raw)
        check(value)
        return value

    return run


def _leaf(field) -> Callable:
    convert = field.to_internal_value
    check = _checks(field)

    def run(raw):
        if isinstance(raw, dict | list):
            raise _Unsure
        value = convert(raw)
        check(value)
        return value

    return run


def _checks(field) -> Callable:
    """The field's validators as one function raising _Unsure when one would fail."""
    checks = []
    for validator in field.validators:
        kind = type(validator)
        if getattr(validator, "requires_context", False):
            raise _Unsupported(validator)
        if kind in (
            django_validators.MaxLengthValidator,
            django_validators.MinLengthValidator,
            django_validators.MaxValueValidator,
            django_validators.MinValueValidator,
        ):
            if callable(validator.limit_value):
                raise _Unsupported(validator)
            checks.append(_bound(kind, validator.limit_value))
        elif kind is django_validators.ProhibitNullCharactersValidator:
            checks.append(_no_nul)
        elif kind is drf_validators.ProhibitSurrogateCharactersValidator:
            checks.append(_no_surrogates)
        else:
            checks.append(validator)  # called as DRF calls it; any error means unsure

    def run(value):
        for check in checks:
            if check(value) is False:
                raise _Unsure

    return run


def _bound(kind, limit) -> Callable:
    if kind is django_validators.MaxLengthValidator:
        return lambda value: len(value) <= limit
    if kind is django_validators.MinLengthValidator:
        return lambda value: len(value) >= limit
    if kind is django_validators.MaxValueValidator:
        return lambda value: value <= limit
    return lambda value: value >= limit


def _no_nul(value) -> bool:
    return "\x00" not in str(value)


def _no_surrogates(value) -> bool:
    # Encoding to UTF-8 fails on exactly the code points U+D800 to U+DFFF.
    text = str(value)
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
