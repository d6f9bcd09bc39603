"""Changelist options for tables with millions of rows (orders, shipments, after-sales, payments, ledgers).

The stock admin costs a whole-table scan in three places: a `list_filter` on a plain column runs
`SELECT DISTINCT` over the table to find its choices, `show_full_result_count` counts the table on every
filtered page, and the paginator counts it again when nothing is filtered. Filters here have fixed choices,
the full count is off, and an unfiltered table's size is PostgreSQL's estimate. Search fields name a
case-sensitive lookup (`__startswith`, `__exact`) so each one can use its index.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.bounds import parse_id
from portal.regions import PROVINCE_ZONES
from portal.widgets import FastSelect

# Above this many rows an unfiltered changelist shows the planner's estimate instead of counting.
ESTIMATE_ABOVE = 100_000


class EstimatedCountPaginator(Paginator):
    """Counts a filtered queryset; an unfiltered one on PostgreSQL is sized from `pg_class.reltuples`."""

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        query = getattr(qs, "query", None)
        if query is not None and not query.where and connections[qs.db].vendor == "postgresql":
            with connections[qs.db].cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [qs.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > ESTIMATE_ABOVE:
                return int(row[0])
        return super().count


class FastActionForm(helpers.ActionForm):
    """The changelist's action form with its `<select>` written directly (`portal.widgets.FastSelect`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].widget = FastSelect()


class LargeTableAdmin(admin.ModelAdmin):
    """Base for the changelists of the big tables."""

    change_list_template = "admin/large_table_change_list.html"  # its rows: portal.templatetags.admin_rows
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    action_form = FastActionForm

    def action_checkbox(self, obj):
        """The row's checkbox as Django writes it, without rendering a widget template per row."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )


class ProvinceFilter(admin.SimpleListFilter):
    """Provinces from `portal.regions`, not a `SELECT DISTINCT province` over the table."""

    title = _("省")
    parameter_name = "province"

    def lookups(self, request, model_admin):
        return [(p, p) for p in PROVINCE_ZONES]

    def queryset(self, request, queryset):
        return queryset.filter(province=self.value()) if self.value() else queryset


def choices_filter(field: str, title, choices: list[tuple[str, str]]) -> type[admin.SimpleListFilter]:
    """A list filter on `field` with fixed choices (for a column without `choices` on the model)."""

    def queryset(self, request, queryset):
        return queryset.filter(**{field: self.value()}) if self.value() else queryset

    return type(
        f"{field.title().replace('_', '')}Filter",
        (admin.SimpleListFilter,),
        {
            "title": title,
            "parameter_name": field,
            "lookups": lambda self, request, model_admin: choices,
            "queryset": queryset,
        },
    )


class StoreFilter(admin.SimpleListFilter):
    """`?store=<id>` narrows the list to one store (linked from the store's page); it lists no stores, which
    would read the whole store table into the sidebar."""

    title = _("店铺")
    parameter_name = "store"

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name, "")
        if parse_id(value) is None:
            return []
        store_model = model_admin.model._meta.get_field("store").related_model
        name = store_model.objects.filter(pk=int(value)).values_list("name", flat=True).first()
        return [(value, name or value)]

    def queryset(self, request, queryset):
        value = self.value()
        if value and parse_id(value) is not None:
            return queryset.filter(store_id=parse_id(value))
        return queryset
