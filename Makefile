# Two commands for a new user: `make demo` and `make test`. Both install into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint typecheck pytest wheel bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e '.[app,dev]'
	# onnx2torch without its torchvision: PyPI's torchvision does not load beside the CPU
	# torch wheel, and spacewarp's ONNX path needs none of it (see model/files.py)
	$(BIN)/pip install -q -c constraints.txt --no-deps 'onnx2torch>=1.5'
	touch $(STAMP)

# Debian's chromium drives the browser tests (never `playwright install`: it downloads).
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The seed's default experiment: stills, a film of the morph and the interactive page.
demo: $(STAMP)
	$(BIN)/spacewarp render --out out
	$(BIN)/spacewarp animate --out out/morph.mp4
	$(BIN)/spacewarp html --out out/spacewarp.html

lint: $(STAMP)
	$(BIN)/ruff check spacewarp tests bench .ci
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy spacewarp

pytest: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q

# The package as a user installs it: `python -m build`, the wheel checked to hold every
# file of spacewarp/ (the JavaScript, the vendored regl), installed alone into a fresh
# .venv-wheel (torch from local disk, through constraints.txt), and `spacewarp render`,
# `html` and `serve --help` run there from outside the checkout (.ci/check_wheel.py)
wheel: $(STAMP)
	$(BIN)/python .ci/check_wheel.py

test: lint typecheck wheel pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache dist build .venv-wheel
