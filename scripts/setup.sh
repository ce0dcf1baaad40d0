#!/usr/bin/env bash
# Installs everything the pipeline needs on a fresh Debian/Ubuntu machine with Python 3.11:
#   - TeX Live from Debian's packages (needs root or sudo; skipped with a warning otherwise),
#   - a virtual environment .venv with the locked Python packages (requirements.lock, hash-checked)
#     and this project (editable).
# Idempotent: a second run only checks. Sourced by scripts/pipeline.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PIP_VERSION=26.3  # the pip that installs the lock (requirements.lock pins everything else)
TEX_PACKAGES="latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended"

install_texlive() {
  if command -v latexmk >/dev/null && command -v pdflatex >/dev/null; then return 0; fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "setup: WARNING: TeX Live is missing and this user cannot install packages." >&2
      echo "setup: everything but the thesis PDF will be built. To get the PDF, run as root:" >&2
      echo "         apt-get install -y --no-install-recommends $TEX_PACKAGES" >&2
      return 0
    fi
  fi
  echo "setup: installing TeX Live from Debian's packages (a few minutes, once)..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $TEX_PACKAGES >/dev/null \
    || echo "setup: WARNING: TeX Live could not be installed; the PDF step will fail and say so." >&2
}

install_python_env() {
  local python=${PYTHON:-python3}
  if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "setup: Python 3.11 is required (found $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then "$python" -m venv .venv; fi
  # Reinstall only when the pins changed: the stamp holds the hash of the lock, its input and pyproject.toml.
  local want; want=$(sha256sum requirements.lock requirements.txt pyproject.toml | sha256sum | cut -c1-16)
  if [ "$(cat .venv/.requirements-stamp 2>/dev/null)" != "$want" ]; then
    echo "setup: installing the locked Python packages into .venv (a few minutes, once)..."
    # pip itself is pinned but not hash-checked: --require-hashes applies to the lock install only.
    .venv/bin/python -m pip install -q --disable-pip-version-check "pip==$PIP_VERSION"
    # The full transitive set from requirements.lock; pip refuses any file whose sha256 is not listed.
    .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
    # This project, built with the locked setuptools (no build isolation, so nothing unhashed is fetched).
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$want" > .venv/.requirements-stamp
  fi
}

install_texlive
install_python_env
