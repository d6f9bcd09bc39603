"""Pages every merchant shares: sign-up, home, store switch, notification inbox."""

from __future__ import annotations

import csv
import secrets

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView, View

from portal.actors import merchant_actor

from . import dashboard
from .bounds import parse_id, parse_ids
from .events import EVENT_TYPES
from .exceptions import DomainError
from .forms import ApiKeyForm, QuietHoursForm, SignupForm
from .models import ApiKey, Notification, User
from .notifications import mark_read, unread_count
from .selectors import notification_preferences
from .services import CHANNELS, api_key_create, api_key_revoke, notification_preferences_update
from .tenancy import MerchantMixin, switch_store
from .webhooks.views import attach_errors


class SignupView(FormView):
    template_name = "registration/signup.html"
    form_class = SignupForm
    success_url = reverse_lazy("shop:onboarding_start")

    def form_valid(self, form):
        user = form.save()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("注册成功，开始创建您的店铺。"))
        return super().form_valid(form)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The merchant's first page: the dashboard of the current store, or onboarding."""
    if request.user.is_staff and not request.store:
        return redirect("admin:index")
    if not request.store:
        return redirect("shop:onboarding_start")
    if not request.store.is_open():
        return redirect("shop:store_detail")
    days = _period(request)
    steps = dashboard.checklist(request.store)
    return render(
        request,
        "portal/home.html",
        {
            "store": request.store,
            "checklist": steps if not all(step.done for step in steps) else [],
            "checklist_done": sum(step.done for step in steps),
            "todo": dashboard.todo(request.store),
            "charts": dashboard.charts(request.store, days),
            "days": days,
            "periods": dashboard.PERIODS,
        },
    )


def _period(request: HttpRequest) -> int:
    days = request.GET.get("days", "")
    number = parse_id(days)
    return number if number in dashboard.PERIODS else dashboard.PERIODS[0]


class HomeTodoView(MerchantMixin, TemplateView):
    """The to-do panel alone, polled by htmx so the counts stay live."""

    template_name = "portal/_todo.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(todo=dashboard.todo(self.store), **kwargs)


class DataView(MerchantMixin, TemplateView):
    """经营数据: every chart with its table, over 7/30/90 days; each also as CSV."""

    template_name = "portal/data.html"

    def get_context_data(self, **kwargs):
        days = _period(self.request)
        return super().get_context_data(
            charts=dashboard.charts(self.store, days), days=days, periods=dashboard.PERIODS, **kwargs
        )


class DataCsvView(MerchantMixin, View):
    def get(self, request, key: str):
        source = dashboard.CHARTS.get(key)
        if source is None:
            raise Http404
        days = _period(request)
        chart = source(self.store, days)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{key}-{days}d-{timezone.localdate():%Y%m%d}.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(chart.columns)
        writer.writerows(chart.rows)
        return response


@login_required
@require_POST
def store_switch(request: HttpRequest) -> HttpResponse:
    store_id = parse_id(request.POST.get("store_id", ""))
    if store_id is None:  # a bigint id, nothing else
        message = _("无效的店铺编号。")
        return render(request, "portal/bad_request.html", {"message": message}, status=400)
    if not switch_store(request, store_id):
        messages.error(request, _("您不是该店铺的成员。"))
    return redirect("home")


class InboxView(LoginRequiredMixin, TemplateView):
    template_name = "portal/inbox.html"

    def get_context_data(self, **kwargs):
        qs = Notification.objects.filter(user=self.request.user)
        unread = self.request.GET.get("filter") == "unread"
        if unread:
            qs = qs.filter(read_at__isnull=True)
        kind = self.request.GET.get("kind")
        if kind:
            qs = qs.filter(kind=kind)
        page = Paginator(qs, 30).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            page=page, unread=unread, kind=kind or "", event_types=EVENT_TYPES.items(), **kwargs
        )


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    ids = parse_ids(request.POST.getlist("ids")) or None
    mark_read(user=request.user, ids=ids)
    if request.htmx and ids:  # one row read in place; the badge refreshes itself from the trigger
        response = render(
            request, "portal/_inbox_row.html", {"n": Notification.objects.filter(user=request.user, pk__in=ids).first()}
        )
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("inbox")


@login_required
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The bell's unread count, polled and refreshed by htmx."""
    return render(request, "portal/_unread_badge.html", {"n": unread_count(request.user)})


class NotificationPrefsView(LoginRequiredMixin, TemplateView):
    """Per event type and channel (in-app, email, SMS), plus SMS quiet hours."""

    template_name = "portal/notification_prefs.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", QuietHoursForm(instance=self.request.user))
        return super().get_context_data(
            rows=notification_preferences(self.request.user), channels=CHANNELS, settings_tab="prefs", **kwargs
        )

    def post(self, request):
        form = QuietHoursForm(request.POST, instance=User.objects.get(pk=request.user.pk))
        if form.is_valid():
            channels = {t: {c for c in CHANNELS if request.POST.get(f"{t}:{c}")} for t in EVENT_TYPES}
            try:
                notification_preferences_update(
                    user=request.user, channels=channels, by=merchant_actor(request), **form.cleaned_data
                )
            except DomainError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, _("通知设置已保存。"))
                return redirect("notification_prefs")
        return self.render_to_response(self.get_context_data(form=form))


class ApiKeysView(MerchantMixin, FormView):
    """The store's API keys: create (the secret is shown once), list, revoke. Store owner only."""

    owner_only = True
    template_name = "portal/api_keys.html"
    form_class = ApiKeyForm

    used_forms_key = "api_key_forms_used"

    def get_initial(self):
        return {**super().get_initial(), "once": secrets.token_urlsafe(16)}

    def get_context_data(self, **kwargs):
        keys = ApiKey.objects.filter(store=self.store).select_related("created_by").order_by("-created_at")
        return super().get_context_data(keys=keys, settings_tab="api_keys", **kwargs)

    def form_valid(self, form):
        once = form.cleaned_data.pop("once")
        used = self.request.session.get(self.used_forms_key, [])
        if once and once in used:  # the browser re-sent the create answer's form (reload): no second key
            messages.info(self.request, _("这把密钥已经创建：刷新页面不会再创建一把，密钥也不会再次显示。"))
            return redirect("api_keys")
        try:
            key, raw = api_key_create(store=self.store, by=merchant_actor(self.request), **form.cleaned_data)
        except DomainError as exc:
            return self.form_invalid(attach_errors(form, exc))
        if once:
            self.request.session[self.used_forms_key] = [*used[-19:], once]
        # The raw secret is shown once, in the answer to this POST itself: it is never stored in the session
        # (nor anywhere else but as a hash), and the answer is not cached.
        messages.success(self.request, _("已创建 API 密钥，请立即复制保存，它只显示这一次。"))
        blank = self.get_form_class()(initial=self.get_initial(), prefix=self.get_prefix())
        response = self.render_to_response(self.get_context_data(form=blank, new_key={"name": key.name, "raw": raw}))
        add_never_cache_headers(response)
        return response


class ApiKeyRevokeView(MerchantMixin, View):
    owner_only = True

    def post(self, request, pk: int):
        api_key_revoke(key=get_object_or_404(ApiKey, pk=pk, store=self.store), by=merchant_actor(request))
        messages.success(request, _("已吊销。"))
        return redirect("api_keys")
