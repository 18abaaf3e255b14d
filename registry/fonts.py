"""Whether this machine has a font for the PDF's Chinese text (issue 13).

Without one, Pango falls back to a font with no CJK glyphs and WeasyPrint prints every Chinese character as an
empty box, silently; the box-filled PDF would then be signed and logged for good. So `manage.py check` reports
the missing font as an error, and publishing refuses to render (registry.pdf.render_pdf) until it is installed.

fontconfig answers, as it does for WeasyPrint: asked for the family the stylesheet names, with the language
zh-cn, it gives a font covering Chinese whenever one is installed (language outranks a family it does not know).
"""

import os
import subprocess
from functools import cache

from django.core import checks

CJK_FAMILY = "Noto Sans CJK SC"  # the family templates/pdf/epd.css names first
CJK_LANGUAGE = "zh-cn"  # fontconfig's name for 简体中文; a font covers it when it has the GB 2312 characters
CJK_PACKAGE = "fonts-noto-cjk"  # the Debian package that brings CJK_FAMILY


class MissingCJKFont(RuntimeError):
    """No installed font covers Chinese text: the PDF would show empty boxes."""


def cjk_font_file() -> str:
    """The font file fontconfig gives for the PDF's Chinese text; MissingCJKFont when none covers Chinese."""
    # fontconfig picks its configuration by these variables (tests point them at a config without CJK fonts).
    return _cjk_font_file(os.environ.get("FONTCONFIG_FILE"), os.environ.get("FONTCONFIG_PATH"))


@cache
def _cjk_font_file(_config_file: str | None, _config_path: str | None) -> str:
    # Cached per process: a worker keeps the fonts it loaded at start, so one installed later needs a restart anyway.
    try:
        answer = subprocess.run(
            ["fc-match", "--format=%{file}\n%{lang}", f"{CJK_FAMILY}:lang={CJK_LANGUAGE}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except FileNotFoundError:
        raise MissingCJKFont(
            "fontconfig's fc-match is not installed, so nothing can tell whether a font covers Chinese "
            "(Debian package fontconfig, which WeasyPrint's Pango needs anyway)"
        ) from None
    file, _, languages = answer.stdout.partition("\n")
    if answer.returncode != 0 or CJK_LANGUAGE not in languages.split("|"):
        raise MissingCJKFont(
            f"no installed font covers Chinese ({CJK_LANGUAGE}): the EPD PDF would print its 简体中文 text as empty boxes "
            f"(fontconfig matches {CJK_FAMILY!r} to {file or 'nothing'}). Install the Debian package {CJK_PACKAGE} "
            "and restart the web and worker processes."
        )
    return file


def check_cjk_font(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: an error when no font covers the PDF's Chinese text."""
    try:
        cjk_font_file()
    except MissingCJKFont as missing:
        return [
            checks.Error(
                str(missing),
                hint=f"apt-get install {CJK_PACKAGE}",
                obj="registry.pdf",
                id="registry.E001",
            )
        ]
    return []
