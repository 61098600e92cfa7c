"""API error responses.

The services raise ``django.core.exceptions.ValidationError`` with field errors; the API answers
those with HTTP 400 and the same shape as a serializer's errors: ``{"field": ["message", ...]}``,
messages without a field under ``non_field_errors``. Everything else is DRF's default handling.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def _details(errors: list[DjangoValidationError]) -> list[exceptions.ErrorDetail]:
    """One ``ErrorDetail`` per message, keeping Django's error code (``unique``, ``invalid_choice``...)."""
    details: list[exceptions.ErrorDetail] = []
    for error in errors:
        for message in error:  # a single error iterates over its message, formatted with its params
            details.append(exceptions.ErrorDetail(str(message), code=error.code or "invalid"))
    return details


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[exceptions.ErrorDetail]]:
    """``{field: [messages]}`` for a Django ``ValidationError``, with or without field names."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): _details(errors)
            for field, errors in exc.error_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: _details(exc.error_list)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django ``ValidationError`` (from the services) as a 400 with field errors."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    return drf_exception_handler(exc, context)
