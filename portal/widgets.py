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
