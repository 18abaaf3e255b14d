from django import template

from declarations.numbers import format_value

register = template.Library()


@register.filter
def result_value(value) -> str:
    """A result value as the public EPD page prints it (declarations.numbers.format_value)."""
    return format_value(value)
