# One virtual environment holds everything; every target builds it first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU wheel on this kind of machine; set TORCH_SPEC='torch' for a CUDA build elsewhere.
TORCH_SPEC ?= torch==2.13.0
OUT ?= runs/demo

.PHONY: demo test test-all bench docs clean

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/collapse reproduce --out $(OUT)

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

test-all: $(VENV)/.installed
	$(BIN)/python -m pytest -q -m ''

bench: $(VENV)/.installed
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

# The Sphinx site (API reference, theory page, the example notebooks executed); warnings fail the build.
docs: $(VENV)/.installed
	$(BIN)/python -m sphinx -b html -W --keep-going docs docs/_build/html

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis docs/_build docs/api docs/jupyter_execute
