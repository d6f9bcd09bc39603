from django import forms
from django.utils.translation import gettext_lazy as _

from portal.events import EVENT_TYPES


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(label=_("接收地址"), max_length=300, help_text=_("以 http:// 或 https:// 开头"))
    event_types = forms.MultipleChoiceField(
        label=_("订阅事件"),
        choices=[(key, t.label) for key, t in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )
