# solgen: `make pdf` builds the default solution into build/, `make test` runs the tests.
# Both set up everything first: a virtual environment in .venv and TeX Live when missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Students' names in every script (docs/CONTRACT.md, "every name prints"): Vietnamese's T5
# (lang-other), Greek's LGR and fonts, Russian's CMCYR (lang-cyrillic), CJKutf8 with a Chinese,
# a traditional Chinese, a Japanese and a Korean font (lang-korean: Nanum). About 400 MB.
NAME_PACKAGES := texlive-lang-other texlive-lang-greek texlive-lang-cyrillic latex-cjk-common \
  latex-cjk-chinese-arphic-gbsn00lp latex-cjk-chinese-arphic-bsmi00lp latex-cjk-japanese-wadalab \
  texlive-lang-korean
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-pictures lmodern latexmk poppler-utils \
  $(NAME_PACKAGES)
# One file of each: a TeX installed before names printed gets them on the next make.
NAME_FILES := t5enc.def lgrenc.def lcywenc.def cmap-cyr-vf.sty CJKutf8.sty c70gbsn.fd c70bsmi.fd \
  c70min.fd c70nanummj.fd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all pdf test test-fast lint bench chaos tex venv clean

all: pdf

$(VENV)/.installed: pyproject.toml examples/solgen-softmax/pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed; installing python3-venv"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q -e examples/solgen-softmax  # the example fourth problem (its tests run in make test)
	@touch $@

venv: $(VENV)/.installed

tex:
	@if ! command -v latexmk >/dev/null || ! command -v pdftotext >/dev/null || \
	    ! kpsewhich $(NAME_FILES) >/dev/null 2>&1; then \
	  echo "installing TeX Live and poppler-utils from Debian's packages"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); \
	fi

pdf: venv tex
	$(PY) -m solgen build --out build

test: venv tex
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory lint

# The inner loop: no TeX, no class rebuilds, no signals (tests/conftest.py names the slow tier).
test-fast: venv
	$(PY) -m pytest -q -m "not slow and not tex"

lint: venv
	$(VENV)/bin/ruff check solgen tests examples
	$(VENV)/bin/ruff format --check solgen tests examples
	$(VENV)/bin/mypy

bench: venv tex
	$(PY) bench/run.py

# Signals at each phase, a full disk (a 7 MB tmpfs: root), poisoned caches, linked templates,
# a tampered batch directory: see docs/chaos.md. About 5 minutes.
chaos: venv tex
	sh tests/chaos/run.sh $(PY)

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
