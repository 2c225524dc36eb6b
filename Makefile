# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= data/demo
DEMO_PEOPLE ?= 5000

.PHONY: install demo test test-unit test-integration lint bench clean-demo

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --python $(BIN)/python -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/crm-pipeline generate --people $(DEMO_PEOPLE) --seed 42 --out $(DEMO_DIR)
	$(BIN)/crm-pipeline run $(DEMO_DIR)/raw
	@echo ""
	@echo "Next:"
	@echo "  $(BIN)/crm-pipeline evaluate --truth $(DEMO_DIR)/truth --processed $(DEMO_DIR)/processed   # precision / recall vs truth"
	@echo "  $(BIN)/crm-pipeline db status                                    # server, schema, roles, audit triggers"
	@echo "  psql \"\$$($(BIN)/crm-pipeline db url)\" -c 'select * from customers_masked limit 5'"
	@echo "  open $(DEMO_DIR)/processed/validation/ for the Great Expectations Data Docs"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -n 2 --dist loadfile

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q -m integration tests/integration

bench: install
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-demo:
	rm -rf $(DEMO_DIR)
