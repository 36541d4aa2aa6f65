"""The house's layout: the committed import graph is the code's, and the top level holds only the core."""

from __future__ import annotations

import importlib.util

from helpers import REPO


def _import_graph_page() -> str:
    spec = importlib.util.spec_from_file_location("import_graph", REPO / "docs" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.page())


def test_the_committed_import_graph_is_the_codes() -> None:
    committed = (REPO / "docs" / "imports.md").read_text("utf-8")
    assert committed == _import_graph_page(), "the import graph is stale: run python docs/import_graph.py"


def test_every_import_arrow_points_within_a_part_or_down_the_layers() -> None:
    page = _import_graph_page()
    arrows = [line.split(" --> ") for line in page.splitlines() if " --> " in line]
    assert len(arrows) > 100
    # nothing below the CLI imports it; nothing in the core imports the analyst-facing parts
    assert not [a for a, b in arrows if b.strip().startswith("extractor_cli") and not a.strip().startswith("extractor_cli")
                and a.strip() != "extractor___main__"]
    core = {"extractor_schema", "extractor_errors", "extractor_grounding", "extractor_articles", "extractor_usage"}
    assert not [a for a, b in arrows if a.strip() in core and b.strip().startswith(("extractor_report", "extractor_evaluation"))]


def test_every_python_example_in_the_readme_is_whole_python() -> None:
    """A README code block cut into a paragraph (or a paragraph into it) stops parsing."""
    import ast
    import re

    blocks = re.findall(r"```python\n(.*?)```\n", (REPO / "README.md").read_text("utf-8"), re.S)
    assert len(blocks) >= 2
    for block in blocks:
        ast.parse(block)
