"""``{% chart_scripts %}``: the scripts a page with charts loads (see frontend/static/frontend/charts.js)."""

from __future__ import annotations

import logging

from django import template
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()
logger = logging.getLogger(__name__)

CHART_LIBRARY = "frontend/vendor/chart.umd.min.js"  # copied from node_modules by scripts/assets.sh
CHARTS_SCRIPT = "frontend/charts.js"


def _vendor_url(name: str) -> str | None:
    """The URL of a vendored file, or None when scripts/assets.sh has not copied it (the charts
    then stay tables: the page must not fail for a missing picture)."""
    if finders.find(name) is None and not staticfiles_storage.exists(name):
        logger.warning("%s is missing: run scripts/assets.sh; charts are shown as tables.", name)
        return None
    try:
        return static(name)
    except ValueError:  # not in the manifest of collected files: collectstatic ran before the copy
        logger.warning("%s is not collected: run collectstatic; charts are shown as tables.", name)
        return None


@register.simple_tag
def chart_scripts() -> SafeString:
    urls = [url for url in (_vendor_url(CHART_LIBRARY), static(CHARTS_SCRIPT)) if url]
    return format_html_join("\n", '<script src="{}" defer></script>', ((url,) for url in urls)) or format_html("")
