#!/usr/bin/env bash
# The system packages `make run`, `make test` and CI need, in one place (Debian/Ubuntu package names).
#   scripts/check_system.sh run         Python 3.11, WeasyPrint's Pango and HarfBuzz, CJK fonts, gettext
#   scripts/check_system.sh test        the same, plus poppler-utils (pdftotext) and Chromium (browser tests)
#   scripts/check_system.sh test bench  the same, plus wrk (make bench-registry); what .ci/run asks for
# What is missing is installed with apt-get when run as root on Debian or Ubuntu (unless --no-install comes
# first); otherwise the script stops at once with the command to run. PYTHON names the interpreter (as in
# the Makefile; default python3.11).
set -euo pipefail

PYTHON=${PYTHON:-python3.11}
python_bin=$(command -v "$PYTHON" || true)
missing=()   # Debian packages
needs() { missing+=("$@"); }
# (grep reads a here-string, not a pipe: with pipefail, `grep -q` closing the pipe early would fail the test)
libraries=$(ldconfig -p 2>/dev/null || true)
fonts=$(fc-list : family 2>/dev/null || true)
has_library() { grep -q "[[:space:]]$1 " <<<"$libraries" || compgen -G "/usr/lib/*/$1" >/dev/null || compgen -G "/lib/*/$1" >/dev/null; }
has_font() { grep -qi "$1" <<<"$fonts"; }

check_run() {
    if [[ -z "$python_bin" ]] || ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        needs python3.11 python3.11-venv
    elif ! "$python_bin" -c 'import ensurepip, venv' 2>/dev/null; then
        needs python3.11-venv
    fi
    has_library libpango-1.0.so.0 || needs libpango-1.0-0
    has_library libpangoft2-1.0.so.0 || needs libpangoft2-1.0-0
    has_library libharfbuzz-subset.so.0 || needs libharfbuzz-subset0  # fast font subsetting of the CJK fonts
    has_font "Noto Sans CJK" || needs fonts-noto-cjk                   # the PDF's 简体中文
    has_font "DejaVu Sans" || needs fonts-dejavu-core
    command -v msgfmt >/dev/null || needs gettext
}

check_test() {
    command -v pdftotext >/dev/null && command -v pdffonts >/dev/null || needs poppler-utils
    # tests/e2e/browser.py drives Debian's chromium (Ubuntu's chromium-browser, a snap, where that is all there is)
    if ! [[ -x /usr/bin/chromium || -x /usr/bin/chromium-browser || -x /snap/bin/chromium ]]; then
        if grep -qi '^ID=ubuntu' /etc/os-release 2>/dev/null; then needs chromium-browser; else needs chromium; fi
    fi
}

check_bench() {
    command -v wrk >/dev/null || needs wrk
}

install=yes
if [[ "${1:-}" == --no-install ]]; then
    install=no
    shift
fi
modes=("${@:-run}")
for mode in "${modes[@]}"; do
    case "$mode" in
        run) check_run ;;
        test) check_run; check_test ;;
        bench) check_bench ;;
        *) echo "usage: $0 [--no-install] [run|test|bench]..." >&2; exit 2 ;;
    esac
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
packages=${packages% }

if [[ ! -r /etc/debian_version ]] || ! command -v apt-get >/dev/null; then
    echo "Missing system packages (Debian/Ubuntu names): $packages" >&2
    echo "Install their equivalents with your system's package manager, then run make again." >&2
    exit 1
fi
if [[ $(id -u) -ne 0 || $install == no ]]; then
    echo "Missing system packages. Install them, then run make again:" >&2
    echo "" >&2
    echo "    sudo apt-get install -y --no-install-recommends $packages" >&2
    if [[ " $packages " == *" python3.11 "* ]] && grep -qi ubuntu /etc/os-release 2>/dev/null; then
        echo "" >&2
        echo "(Ubuntu releases after 22.04 ship another Python: add Python 3.11 first with" >&2
        echo "    sudo add-apt-repository ppa:deadsnakes/ppa && sudo apt-get update)" >&2
    fi
    exit 1
fi
echo "== installing system packages: $packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # one word per package
apt-get install -y -qq --no-install-recommends $packages >/dev/null
