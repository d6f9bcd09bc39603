"""Language choice: Simplified Chinese unless the user switched (language cookie), whatever the browser sends.

The API (/api/) answers in the language of the request's Accept-Language (zh-Hans by default, en), so an
integration chooses per request; the cookie is a page concern."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def accept_language(request) -> str | None:
    for code, _q in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            return None
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class PortalLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request) -> None:
        supported = {code for code, _name in settings.LANGUAGES}
        if request.path.startswith("/api/"):
            language = accept_language(request) or settings.LANGUAGE_CODE
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
