"""Accessibility checks with axe-core (from the npm registry, pinned in package-lock.json and
installed into node_modules/ by scripts/assets.sh), injected into the page under test.

    from tests.browser.axe import assert_accessible
    assert_accessible(page)             # fails on any serious or critical WCAG 2.1 A/AA violation

The report names each rule, its impact, the elements (CSS selectors) and what to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices (landmarks, headings, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING_IMPACTS = ("serious", "critical")
NODES_SHOWN = 5


def axe_run(page: Page, *, tags: list[str] | None = None) -> dict[str, Any]:
    """Run axe-core on the whole page as it is now; its results (violations only)."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is missing ({AXE_SCRIPT}): run scripts/assets.sh (npm ci).", pytrace=False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    options = {"runOnly": {"type": "tag", "values": tags or AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("async (options) => await window.axe.run(document, options)", options)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:NODES_SHOWN]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
        if len(violation["nodes"]) > NODES_SHOWN:
            lines.append(f"    … and {len(violation['nodes']) - NODES_SHOWN} more")
    return "\n".join(lines)


def assert_accessible(page: Page, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> dict[str, Any]:
    """Fail when axe finds a violation of one of ``impacts`` on the page; return axe's results."""
    results = axe_run(page)
    blocking = [v for v in results["violations"] if v["impact"] in impacts]
    if blocking:
        pytest.fail(f"{len(blocking)} accessibility violation(s) on {page.url}:\n{describe(blocking)}", pytrace=False)
    return results
