"""Pages every merchant shares: sign-up, home, store switch, notification inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from .forms import SignupForm
from .models import Notification
from .notifications import mark_read
from .tenancy import switch_store


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
    return render(request, "portal/home.html", {"store": request.store})


@login_required
@require_POST
def store_switch(request: HttpRequest) -> HttpResponse:
    if not switch_store(request, int(request.POST.get("store_id", "0") or 0)):
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
        return super().get_context_data(page=page, unread=unread, kind=kind or "", **kwargs)


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()] or None
    mark_read(user=request.user, ids=ids)
    return redirect(request.POST.get("next") or "inbox")
