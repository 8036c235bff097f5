from django import template

from accounts.stored_text import for_reader as translate_for_reader

register = template.Library()


@register.filter
def for_reader(text):
    """A stored message (accounts.stored_text) in the language of the person reading the page."""
    return translate_for_reader(text)
