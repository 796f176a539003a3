"""axe-core (from the npm registry, package.json) run in the page under test.

``serious_violations(page)`` injects node_modules/axe-core/axe.min.js and
returns the WCAG 2 A/AA violations of impact "serious" or "critical", each as
one readable line (rule, impact, the first offending elements).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def serious_violations(page: Any) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id} (${v.impact}): ${v.help} -- ` +
                    v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " " +
                        [...n.any, ...n.all].map((c) => c.message).join("; ")).join(" | "));
        }""",
        TAGS,
    )
    return list(found)
