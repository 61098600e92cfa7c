"""The ydata-profiling HTML report of a version, built on a bounded row sample.

Personal columns are not in the sample at all (``stats.compute_profile`` leaves them out), so the
report cannot show their values; it is also configured to show no sample rows, no duplicate rows
and no per-value tables of its own beyond the columns it receives, and the page says which columns
were left out and that their aggregates are in Cadastre's statistics.
"""

from __future__ import annotations

import html
import logging
import os
import warnings
from typing import Any

REPORT_TITLE = "Profile of {dataset} version {number}"


def build_report(sample: Any, *, title: str, personal: list[str], total_rows: int) -> str:
    """The HTML report of ``sample`` (a pandas DataFrame of the non-personal columns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("ydata_profiling").setLevel(logging.ERROR)
        logging.getLogger("visions").setLevel(logging.WARNING)  # "Pandas backend loaded" at import
        # ydata-profiling draws one progress bar per report (summary_pandas.py) whatever
        # ``progress_bar`` says; tqdm reads its defaults from TQDM_* variables.
        os.environ.setdefault("TQDM_DISABLE", "1")
        from ydata_profiling import ProfileReport
        from ydata_profiling.config import ImageType

        if sample.shape[1] == 0:
            body = "<p>Every column of this version is personal data: only aggregates are profiled.</p>"
            return _page(title, body, personal, total_rows, len(sample))
        report = ProfileReport(
            sample,
            title=title,
            minimal=True,
            progress_bar=False,
            samples=None,
            duplicates=None,
            interactions=None,
            missing_diagrams=None,
            correlations=None,
            explorative=False,
        )
        report.config.html.navbar_show = False
        # Keep the report quick on a busy worker: no word clouds or character tables (the column
        # statistics have the top values), small PNG plots instead of SVG.
        report.config.vars.cat.words = False
        report.config.vars.cat.characters = False
        report.config.vars.text.words = False
        report.config.vars.text.characters = False
        report.config.plot.image_format = ImageType.png
        report.config.plot.dpi = 60
        report.config.plot.histogram.x_axis_labels = False
        report.config.plot.histogram.bins = 20
        document = report.to_html()
    note = _note(personal, total_rows, len(sample))
    return document.replace("<body>", "<body>" + note, 1) if "<body>" in document else note + document


def _note(personal: list[str], total_rows: int, sample_rows: int) -> str:
    left_out = ", ".join(html.escape(name) for name in personal) or "none"
    return (
        '<div style="padding:8px 16px;background:#fff7e0;border-bottom:1px solid #e0c070;font-family:sans-serif">'
        f"Built by Cadastre on a random sample of {sample_rows:,} of {total_rows:,} rows. "
        f"Personal-data columns left out (aggregates only, in Cadastre's statistics): {left_out}.</div>"
    )


def _page(title: str, body: str, personal: list[str], total_rows: int, sample_rows: int) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body>{_note(personal, total_rows, sample_rows)}<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
