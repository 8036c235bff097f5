"""
Where the briefing's fonts come from, with no system fonts involved.

Latin text is set in the fonts Typst embeds in its own binary (Libertinus Serif). Chinese comes from the
`pylopdf-fonts-zh-cn` wheel on PyPI: Noto Sans SC and Noto Serif SC Regular (the Noto CJK "SubsetOTF" SC
faces, 8.3 MB and 11.6 MB, SIL Open Font License 1.1, licence in the wheel's dist-info), installed by
`make install` like any other dependency. There is no bold Chinese face, and Typst does not fake one: bold
Chinese prints at regular weight (headings are still set apart by size, colour and the sans face).
"""

import importlib.util
from functools import cache
from pathlib import Path

CJK_FONT_PACKAGE = "pylopdf_fonts_zh_cn"
CJK_FONT_FILES = ("NotoSansSC-Regular.otf", "NotoSerifSC-Regular.otf")


@cache
def cjk_font_dir():
    """
    The folder holding the Noto SC fonts. Found with find_spec, which locates the package without importing
    (running) it: we need its files, not its code.
    """
    spec = importlib.util.find_spec(CJK_FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The Chinese fonts are missing: install the {CJK_FONT_PACKAGE.replace('_', '-')} package "
                           "(`make install` does).")
    folder = Path(next(iter(spec.submodule_search_locations)))
    missing = [name for name in CJK_FONT_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"{folder} lacks {', '.join(missing)}")
    return folder
