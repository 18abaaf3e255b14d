"""Issue 13: no PDF with Chinese text as empty boxes. `manage.py check` names the missing CJK font, and rendering
refuses without it (publishing's side: tests/registry/test_publishing.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from declarations.samples import sample_document
from registry.fonts import MissingCJKFont, cjk_font_file
from registry.pdf import render_pdf

ROOT = Path(__file__).resolve().parents[2]


def manage_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_reports_a_missing_cjk_font_as_an_error_naming_the_package(fontconfig_without_cjk):
    answer = manage_check(dict(os.environ))
    assert answer.returncode == 1, answer.stdout + answer.stderr
    assert "ERRORS:" in answer.stderr
    assert "(registry.E001) no installed font covers Chinese (zh-cn)" in answer.stderr
    assert "fonts-noto-cjk" in answer.stderr


def test_check_is_silent_when_a_cjk_font_is_installed():
    assert checks.run_checks(tags=["fonts"]) == []
    assert cjk_font_file().endswith((".ttc", ".otf", ".ttf"))
    answer = manage_check({key: value for key, value in os.environ.items() if not key.startswith("FONTCONFIG_")})
    assert answer.returncode == 0, answer.stderr
    assert "no issues" in answer.stdout


def test_rendering_refuses_without_a_cjk_font(fontconfig_without_cjk):
    with pytest.raises(MissingCJKFont, match="fonts-noto-cjk"):
        render_pdf(sample_document())
