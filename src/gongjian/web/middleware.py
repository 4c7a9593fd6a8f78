"""The page language: 简体中文 unless the person chose another one with the switch (a cookie).

Django's LocaleMiddleware would also follow the browser's Accept-Language, so a district office whose
computers run an English Windows would get English pages on the first visit. The platform is written for
Chinese staff, so the browser's preference is ignored: only the explicit choice counts.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


def chosen_language(request) -> str:
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass  # a stale or forged cookie falls back to the default
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
