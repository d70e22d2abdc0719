"""Font Awesome's web fonts cut down to the icons the book shows (0.27 MB to a few KB a page).

pydata-sphinx-theme draws its icons with Font Awesome 6's CSS and web fonts (the book
leaves out its 1.5 MB script, see page_assets.py). A page that shows a solid icon and
a brand icon (the GitHub logo) fetches two whole fonts: 157 KB and 118 KB, for about
twenty glyphs.

After the build, this extension finds the glyphs the book can show:

- every icon class (``fa-rocket``) written in the built pages or in the theme's
  scripts, through the theme style sheet's ``.fa-rocket:before{content:"\\f135"}``;
- every other Font Awesome character in the book's style sheets (the theme's
  admonition and link icons, ``--pst-icon-...``), whether or not a page uses it;

cuts the theme's fonts down to them with fontTools (as WOFF: fontTools writes WOFF2
only with the brotli module, which the book does not install), and writes
``_static/icon-fonts.css``, which declares the same font families after the theme's
style sheet, so that browsers fetch the small fonts instead. tests/test_html.py checks
that every icon a page uses is in the fonts.
"""

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
THEME_CSS = "styles/pydata-sphinx-theme.css"
FONTS = "vendor/fontawesome/webfonts"
# (file in FONTS, CSS family, weight), as the theme's @font-face rules declare them.
FACES = [("fa-solid-900.ttf", "Font Awesome 6 Free", 900), ("fa-regular-400.ttf", "Font Awesome 6 Free", 400),
         ("fa-brands-400.ttf", "Font Awesome 6 Brands", 400)]
OUTPUT = "icon-fonts"  # _static/icon-fonts/*.woff and _static/icon-fonts.css
ICON_CLASS = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*\b")
CATALOGUE_RULE = re.compile(r"([^{}]+)\{content:\"\\([0-9a-f]{4})\"\}")
PRIVATE_USE = re.compile(r"\\(f[0-9a-f]{3}|e[0-9a-f]{3})\b|([\ue000-\uf8ff])")


def icon_catalogue(theme_css):
    """{class name: code point} from rules such as ``.fa-bars:before,.fa-navicon:before{content:"\\f0c9"}``."""
    catalogue = {}
    for selectors, code in CATALOGUE_RULE.findall(theme_css):
        names = re.findall(r"\.(fa-[\w-]+):(?:before|after)", selectors)
        for name in names:
            catalogue.setdefault(name, int(code, 16))
    return catalogue


def code_points_outside_catalogue(css):
    """Font Awesome characters a style sheet uses other than through the icon classes."""
    stripped = CATALOGUE_RULE.sub("", css)
    return {int(escaped, 16) if escaped else ord(literal) for escaped, literal in PRIVATE_USE.findall(stripped)}


def glyphs_in_use(outdir):
    """The code points the built book can show with Font Awesome."""
    static = outdir / "_static"
    theme_css = (static / THEME_CSS).read_text(encoding="utf-8")
    catalogue = icon_catalogue(theme_css)
    used_classes = set()
    for path in [*outdir.rglob("*.html"), *(static / "scripts").glob("*.js")]:
        used_classes |= set(ICON_CLASS.findall(path.read_text(encoding="utf-8", errors="ignore")))
    points = {catalogue[name] for name in used_classes if name in catalogue}
    for css in static.rglob("*.css"):
        if OUTPUT not in css.name:
            points |= code_points_outside_catalogue(css.read_text(encoding="utf-8", errors="ignore"))
    return points


def subset_fonts(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from fontTools import subset

    outdir = Path(app.outdir)
    static = outdir / "_static"
    if not (static / THEME_CSS).is_file():
        logger.warning(f"icon_fonts: no {THEME_CSS}: the theme changed; Font Awesome's fonts are not cut down")
        return
    points = glyphs_in_use(outdir)
    (static / OUTPUT).mkdir(exist_ok=True)
    faces = []
    for source, family, weight in FACES:
        target = Path(source).with_suffix(".woff").name
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]
        font = subset.load_font(static / FONTS / source, options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=points)
        subsetter.subset(font)
        subset.save_font(font, static / OUTPUT / target, options)
        faces.append(f'@font-face{{font-family:"{family}";font-style:normal;font-weight:{weight};'
                     f'font-display:block;src:url({OUTPUT}/{target}) format("woff")}}')
    (static / f"{OUTPUT}.css").write_text(
        "/* Font Awesome 6 Free (SIL OFL 1.1), cut down to the icons the book uses: _ext/icon_fonts.py */\n"
        + "\n".join(faces) + "\n", encoding="utf-8")
    logger.info(f"icon_fonts: {len(points)} Font Awesome glyphs kept")


def setup(app):
    app.add_css_file(f"{OUTPUT}.css", priority=900)  # after the theme's style sheet
    app.connect("build-finished", subset_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
