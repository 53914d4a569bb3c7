"""Sphinx configuration of the course's website (``make site``; see scripts/build_site.py).

The pages are the notebooks as recorded: MyST-NB renders their stored outputs and never
executes them (``nb_execution_mode = "off"``), so the site shows what validation proved.
"""

project = "Async Python, hands-on"
author = "the course's authors"
copyright = "the course's authors"
root_doc = "README"
extensions = ["myst_nb", "sphinx_copybutton"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

nb_execution_mode = "off"  # the recorded outputs, never re-executed
nb_merge_streams = False
nb_render_text_lexer = "myst-ansi"  # ANSI colours of tracebacks and stamps, as in JupyterLab
myst_heading_anchors = 3  # ../README.md#course-map and other heading links resolve
myst_enable_extensions = ["colon_fence"]

html_theme = "furo"
html_title = project
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {"navigation_with_keys": True}
# The copy button copies code only, never the prompts or outputs.
copybutton_exclude = ".linenos, .gp, .go"
suppress_warnings = ["myst.header"]
html_favicon = "_static/favicon.svg"


def _accessible(app, exception):  # type: ignore[no-untyped-def]
    """Two fixes axe-core asks for, made to the written pages.

    * The sidebar's section captions have ``role="heading"`` but no level
      (aria-required-attr): they are level 2, under the site's title.
    * A code block wider than the page scrolls sideways, so a keyboard must be able to
      reach it (scrollable-region-focusable): every ``<pre>`` takes the focus.
    """
    import re
    from pathlib import Path

    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = text.replace(
            '<p class="caption" role="heading">',
            '<p class="caption" role="heading" aria-level="2">',
        )
        fixed = re.sub(r"<pre(?=[\s>])(?![^>]*tabindex)", '<pre tabindex="0"', fixed)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("build-finished", _accessible)
