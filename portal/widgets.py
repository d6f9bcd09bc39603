"""Form widgets for pages rendered on every request.

Django renders a `<select>` through one template per option; a filter bar with the 34 provinces and a
store's products spends more time there than in its queries. `FastSelect` writes the same markup directly.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if key in selected else "", label)
                for key, label in ((str(v) if v is not None else "", lbl) for v, lbl in self.choices)
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class FastInputMixin:
    """An `<input>` written directly (Django renders it through two templates): the same type, name, value
    and attributes, booleans (`checked`, `required`) bare."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        final = {"type": widget["type"], "name": name}
        if widget["value"] is not None:
            final["value"] = widget["value"]
        final.update(widget["attrs"])
        return format_html("<input{}>", flatatt(final))


class FastTextInput(FastInputMixin, forms.TextInput):
    pass


class FastDateInput(FastInputMixin, forms.DateInput):
    """`<input type="date">`: its value is always ISO (a locale's 2026/01/02 would show as empty)."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format)


class FastCheckbox(FastInputMixin, forms.CheckboxInput):
    pass


class FastHidden(FastInputMixin, forms.HiddenInput):
    pass
