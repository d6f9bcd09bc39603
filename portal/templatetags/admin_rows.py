"""`{% large_result_list cl %}`: the changelist table of `LargeTableAdmin`, the same markup as Django's
`{% result_list %}` with the work per page instead of per cell.

Django's `items_for_result` resolves every column for every row, builds each cell through `format_html`,
reverses each row's change URL and merges the preserved filters into it by resolving that URL again (a
50-row order changelist: 40 % of the page's time in a profile). Here each column is planned once per
page (its field or callable, its CSS class, its choices), the change URL and its preserved filters are
built once and the row's pk put into it, and each row is one string. A changelist with `list_editable`
(a formset) keeps Django's own rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

register = template.Library()

_PK = "__pk__"  # stands for the row's pk in the change URL built once per page


@register.inclusion_tag("admin/change_list_results.html")
def large_result_list(cl) -> dict:
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(results(cl)) if cl.formset else _rows(cl),
    }


def _rows(cl) -> list[ResultList]:
    columns = [_column(cl, index, name) for index, name in enumerate(cl.list_display)]
    link = _link(cl)
    rows = []
    for obj in cl.result_list:
        cells, first = [], True
        for linked, classes, cell in columns:
            repr_, nowrap = cell(obj)
            attrs = f' class="{classes}{" nowrap" if nowrap else ""}"'
            if linked:
                tag = "th" if first else "td"
                first = False
                cells.append(f"<{tag}{attrs}>{link(obj, repr_)}</{tag}>")
            else:
                cells.append(f"<td{attrs}>{repr_}</td>")
        rows.append(ResultList(None, [mark_safe("".join(cells))]))  # noqa: S308  # every part escaped above
    return rows


def _column(cl, index: int, name) -> tuple[bool, str, Callable]:
    """(whether the cell links to the change page, its CSS classes, obj -> (escaped text, nowrap))."""
    admin = cl.model_admin
    empty = admin.get_empty_value_display()
    linked = cl.list_display_links is not None and (
        name in cl.list_display_links or (not cl.list_display_links and index == 0)
    )
    try:
        field = _get_non_gfk_field(cl.lookup_opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        field = None
    classes = "action-checkbox" if name == "action_checkbox" else f"field-{_coerce_field_name(name, index)}"

    if field is None or field.auto_created:

        def computed(obj):
            try:
                _f, attr, value = lookup_field(name, obj, admin)
            except ObjectDoesNotExist:
                return empty, False
            shown = getattr(attr, "empty_value_display", empty)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            boolean = getattr(attr.fget if isinstance(attr, property) else attr, "boolean", False)
            nowrap = isinstance(value, (datetime.date, datetime.time))
            return conditional_escape(display_for_value(value, shown, boolean)), nowrap

        return linked, classes, computed

    nowrap = isinstance(field, (models.DateField, models.TimeField, models.ForeignKey))
    if isinstance(field.remote_field, models.ManyToOneRel):

        def related(obj):
            value = getattr(obj, field.name)
            return conditional_escape(empty if value is None else value), nowrap

        return linked, classes, related

    choices = dict(field.flatchoices) if field.flatchoices else None

    def plain(obj):
        value = getattr(obj, field.attname)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if choices is not None:
            return conditional_escape(choices.get(value, empty)), nowrap
        return conditional_escape(display_for_field(value, field, empty, avoid_link=linked)), nowrap

    return linked, classes, plain


def _link(cl) -> Callable:
    """obj, text -> the link to the row's change page with the changelist's filters preserved."""
    popup_attr = cl.to_field or cl.lookup_opts.pk.attname

    def popup(obj) -> str:
        return f' data-popup-opener="{escape(obj.serializable_value(popup_attr))}"' if cl.is_popup else ""

    context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    if isinstance(cl.lookup_opts.pk, models.IntegerField):  # the pk goes into the URL as it is
        name = f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change"
        try:
            url = reverse(name, args=(_PK,), current_app=cl.model_admin.admin_site.name)
        except NoReverseMatch:
            return lambda obj, text: text
        head, _, tail = (escape(part) for part in add_preserved_filters(context, url).partition(_PK))
        return lambda obj, text: f'<a href="{head}{getattr(obj, cl.pk_attname)}{tail}"{popup(obj)}>{text}</a>'

    def each(obj, text):  # a pk that is not an integer: reversed and quoted per row, as Django does
        try:
            url = add_preserved_filters(context, cl.url_for_result(obj))
        except NoReverseMatch:
            return text
        return f'<a href="{escape(url)}"{popup(obj)}>{text}</a>'

    return each
