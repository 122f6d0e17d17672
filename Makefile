# The two commands of the README: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install clean

$(BIN)/kpi: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/kpi

demo: install
	$(BIN)/kpi demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros warehouse/schema --disable-progress-bar

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .state dbt_project/target
