"""
Where the briefing's fonts come from.

Latin text is set in the fonts Typst embeds in its own binary (Libertinus Serif). Chinese comes from Debian's
`fonts-noto-cjk` where it is installed (the Docker image installs it): Noto Sans CJK SC and Noto Serif CJK SC,
regular and bold, so that bold Chinese prints bold. Elsewhere (a developer's machine without it) from the
`pylopdf-fonts-zh-cn` wheel on PyPI: Noto Sans SC and Noto Serif SC Regular (the Noto CJK "SubsetOTF" SC faces,
SIL Open Font License 1.1, licence in the wheel's dist-info), installed like any other dependency; it has no bold
face, and Typst does not fake one, so there bold Chinese prints at regular weight. The template names both
families, the system's first (campaigns/briefing/templates/briefing.typ).
"""

import importlib.util
import os
from functools import cache
from pathlib import Path

CJK_FONT_PACKAGE = "pylopdf_fonts_zh_cn"
CJK_FONT_FILES = ("NotoSansSC-Regular.otf", "NotoSerifSC-Regular.otf")


# Debian's fonts-noto-cjk (CJK_FONT_DIR elsewhere). Only this folder is scanned, not all system fonts: Typst reads
# every font it is shown. An environment variable, not a setting: the PDF is compiled in a child process without
# Django.
SYSTEM_CJK_FONT_DIR = "/usr/share/fonts/opentype/noto"
SYSTEM_CJK_FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc",
                         "NotoSerifCJK-Bold.ttc")


def system_cjk_font_dir():
    """The folder of Debian's Noto CJK fonts, regular and bold, or None where they are not all installed."""
    folder = Path(os.environ.get("CJK_FONT_DIR") or SYSTEM_CJK_FONT_DIR)
    return folder if all((folder / name).is_file() for name in SYSTEM_CJK_FONT_FILES) else None


def cjk_font_dirs():
    """The folders Typst is given: the system's Noto CJK (with bold) when installed, and the wheel's always."""
    system = system_cjk_font_dir()
    return [*([system] if system else []), cjk_font_dir()]


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
