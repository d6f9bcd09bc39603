"""The merchant dashboard (工作台) and the staff overview, assembled from what each app contributes.

portal is the base layer and imports no app: each app registers its to-do cards, charts and staff
overview items here from its own `dashboard.py` (imported in its `AppConfig.ready`):

    @dashboard.todo_source(order=10)
    def orders_todo(store, now) -> list[TodoItem]: ...

    @dashboard.chart("orders", order=10)
    def orders_per_day(store, days, now=None) -> Chart: ...

    @dashboard.staff_source(order=10)
    def applications(now) -> list[TodoItem]: ...

`order` fixes the position on the page whatever the apps' loading order. Every number is an
aggregate computed in the database (filtered Count/Sum, TruncDate), so the dashboard costs a small,
constant number of queries whatever the store's order volume.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from .charts import Chart

PERIODS = (7, 30, 90)


@dataclass(frozen=True)
class TodoItem:
    key: str
    label: str
    count: int
    url: str = ""
    level: str = ""  # "", "warn" (near a deadline) or "bad" (overdue, shortfall)
    detail: str = ""
    money: bool = False  # `count` is an amount in fen


def link(url_name: str, query: str = "") -> str:
    """The URL of the page where the merchant (or staff) acts on a count, with its list filter."""
    url = reverse(url_name)
    return f"{url}?{query}" if query else url


def admin_link(model: str, query: str = "") -> str:
    """The admin change list of `app_model`, with its filter."""
    return link(f"admin:{model}_changelist", query)


def period_days(days: int, now: datetime) -> tuple[list[date], datetime, datetime]:
    """The period's local dates and its [start, end) bounds as aware datetimes."""
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    return [first + timedelta(days=i) for i in range(days)], start, start + timedelta(days=days)


# --- the registries -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChecklistStep:
    """One step of a new store's getting-started checklist (新手任务)."""

    key: str
    label: str
    done: bool
    url: str = ""
    detail: str = ""


TodoSource = Callable[[Any, datetime], list[TodoItem]]
ChecklistSource = Callable[[Any], list[ChecklistStep]]
ChartSource = Callable[..., Chart]
StaffSource = Callable[[datetime], list[TodoItem]]

_todo_sources: dict[str, tuple[int, TodoSource]] = {}
_staff_sources: dict[str, tuple[int, StaffSource]] = {}
_charts: dict[str, tuple[int, ChartSource]] = {}
_checklist_sources: dict[str, tuple[int, ChecklistSource]] = {}
# key → chart function, in page order (kept in step with the registrations)
CHARTS: dict[str, ChartSource] = {}


def _name(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def todo_source(*, order: int) -> Callable[[TodoSource], TodoSource]:
    """Register `source(store, now) -> list[TodoItem]`: an app's to-do cards (one aggregate query)."""

    def register(func: TodoSource) -> TodoSource:
        _todo_sources[_name(func)] = (order, func)
        return func

    return register


def checklist_source(*, order: int) -> Callable[[ChecklistSource], ChecklistSource]:
    """Register `source(store) -> list[ChecklistStep]`: an app's steps of the getting-started checklist."""

    def register(func: ChecklistSource) -> ChecklistSource:
        _checklist_sources[_name(func)] = (order, func)
        return func

    return register


def staff_source(*, order: int) -> Callable[[StaffSource], StaffSource]:
    """Register `source(now) -> list[TodoItem]`: an app's items of the staff overview (admin index)."""

    def register(func: StaffSource) -> StaffSource:
        _staff_sources[_name(func)] = (order, func)
        return func

    return register


def chart(key: str, *, order: int) -> Callable[[ChartSource], ChartSource]:
    """Register `chart(store, days, now=None) -> Chart` under `key` (the data page's /data/<key>/)."""

    def register(func: ChartSource) -> ChartSource:
        _charts[key] = (order, func)
        CHARTS.clear()
        CHARTS.update((k, f) for k, (_o, f) in sorted(_charts.items(), key=lambda kv: (kv[1][0], kv[0])))
        return func

    return register


def _ordered(registry: dict[str, tuple[int, Callable]]) -> list[Callable]:
    return [func for _key, (_order, func) in sorted(registry.items(), key=lambda kv: (kv[1][0], kv[0]))]


# --- what the pages call ------------------------------------------------------------------------------


def todo(store, now: datetime | None = None) -> list[TodoItem]:
    """Every to-do count of the store, one aggregate query per area."""
    now = now or timezone.now()
    return [item for source in _ordered(_todo_sources) for item in source(store, now)]


def checklist(store) -> list[ChecklistStep]:
    """The getting-started checklist of the store: every app's steps, in page order."""
    return [step for source in _ordered(_checklist_sources) for step in source(store)]


def charts(store, days: int, now: datetime | None = None) -> list[Chart]:
    return [source(store, days, now) for source in CHARTS.values()]


def staff_overview(now: datetime | None = None) -> list[TodoItem]:
    """What platform staff should look at first, across every store (one query per area)."""
    now = now or timezone.now()
    return [item for source in _ordered(_staff_sources) for item in source(now)]
