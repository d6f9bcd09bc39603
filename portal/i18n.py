"""Language choice: Simplified Chinese unless the user switched (language cookie), whatever the browser sends.

The API (/api/) answers in the language of the request's Accept-Language (zh-Hans by default, en), so an
integration chooses per request; the cookie is a page concern."""

import re
from dataclasses import dataclass
from functools import lru_cache

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


# --- System text stored in rows, translated when it is read ---------------------------------------
# Services write system-generated text (inbox titles, ledger reasons, audit reasons, evaluation advice)
# in the default language, from catalogue msgids. `stored_text` reads such a string back in the active
# language: an exact msgid is translated; a msgid with %(name)s placeholders is matched as a pattern and
# translated with the values it carried; anything else (the buyer's or merchant's own words) is left as is.

_PLACEHOLDER = re.compile(r"%\((\w+)\)([-#0 +]*\d*(?:\.\d+)?[sdif])")


@dataclass(frozen=True)
class _Pattern:
    msgid: str
    prefix: str
    regex: re.Pattern[str]
    kinds: dict[str, str]


@lru_cache(maxsize=8)
def _patterns(language: str) -> tuple[_Pattern, ...]:
    catalog = translation.trans_real.translation(language)._catalog  # type: ignore[attr-defined]
    found = []
    for msgid in list(catalog.keys()):
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        parts, kinds, pos = [], {}, 0
        for m in _PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[pos : m.start()]))
            name = m.group(1)
            if name in kinds:
                parts.append(f"(?P={name})")
            else:
                parts.append(f"(?P<{name}>.+?)")
                kinds[name] = m.group(2)[-1]
            pos = m.end()
        if not kinds:
            continue
        parts.append(re.escape(msgid[pos:]))
        prefix = msgid[: msgid.index("%(")]
        found.append(_Pattern(msgid, prefix, re.compile("^" + "".join(parts) + "$", re.S), kinds))
    # the most specific pattern wins: the longest literal prefix first, then the most literal text in all
    # ("订单 %(sn)s 已发货" before "订单 %(sn)s", whose open end would swallow "… 已发货")
    return tuple(sorted(found, key=lambda p: (-len(p.prefix), -len(_PLACEHOLDER.sub("", p.msgid)))))


def _value(raw: str, kind: str):
    if kind == "d":
        return int(raw)
    if kind == "f":
        return float(raw)
    return raw


def stored_text(text) -> str:
    """`text` written by the system in the default language, read in the active language (see above)."""
    if not text:
        return text or ""
    text = str(text)
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language.lower().startswith("zh"):
        return text
    translated = translation.gettext(text)
    if translated != text:
        return translated
    for pattern in _patterns(language):
        if not text.startswith(pattern.prefix):
            continue
        match = pattern.regex.match(text)
        if match is None:
            continue
        try:
            values = {k: _value(v, pattern.kinds[k]) for k, v in match.groupdict().items()}
        except ValueError:
            continue
        values = {k: stored_text(v) if isinstance(v, str) else v for k, v in values.items()}
        try:
            return translation.gettext(pattern.msgid) % values
        except (KeyError, TypeError, ValueError):
            continue
    return text
