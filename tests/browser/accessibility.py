"""axe-core (from the npm registry, never served to users) run in the page: WCAG 2.2 AA."""

from tests.conftest import REPO, require_or_skip

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """Every WCAG 2.2 AA rule axe-core finds broken on the page as it stands, one line each
    with where; an empty list is a page that passes."""
    require_or_skip(AXE.exists(), f"no axe-core at {AXE} (npm ci)", "VIGIL_REQUIRE_BROWSER")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at "
        + "; ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        for rule in result["violations"]
    ]
