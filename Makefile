# The two commands: `make run` and `make test`. Both create .venv on first use and reinstall
# only when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# llama-cpp-python ships only an sdist for Linux. It is compiled once (about 6 minutes on 2
# cores) into a wheelhouse outside the checkout, so fresh clones and CI reuse it. Portable
# build (GGML_NATIVE=OFF): the -march=native build crashed in llama_decode on this machine's
# AVX-512 CPU (docs/engine.md), and a binary given to others must run on any x86-64 CPU.
LLAMA_CPP_VERSION := 0.3.36
WHEELHOUSE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/evalstudio/wheels
LLAMA_STAMP := $(WHEELHOUSE)/llama-cpp-python-$(LLAMA_CPP_VERSION).portable

# llama.cpp's own HTTP server (batching, several slots), compiled once (about 20 minutes on 2
# cores) from the llama.cpp vendored in that same sdist: the concurrency tests and bench/bench_sandwich_scale.py drive it
# as a real batching server. Portable like the wheel, only the llama-server target, no web UI
# or HTTPS (nothing fetched at build time). tests/support/llama_server.py finds it here.
LLAMA_SERVER_DIR := $(WHEELHOUSE)/../llama-server-$(LLAMA_CPP_VERSION)
LLAMA_SERVER := $(LLAMA_SERVER_DIR)/llama-server

.PHONY: run llama-server test test-fast record-replies lint fuzz crash reliability bench binary screenshots schema clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(LLAMA_STAMP): | $(BIN)/python
	@echo "Compiling llama-cpp-python $(LLAMA_CPP_VERSION) once into $(WHEELHOUSE) (about 6 minutes)"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip wheel --quiet --no-deps --no-cache-dir \
		--no-binary llama-cpp-python -w $(WHEELHOUSE) llama-cpp-python==$(LLAMA_CPP_VERSION)
	@touch $(LLAMA_STAMP)

# cmake from pip when the system has none (as the wheel's build gets it); without a C++
# compiler nothing is built and the tests that need the server skip, saying why.
$(LLAMA_SERVER): | $(BIN)/python
	@if ! command -v c++ >/dev/null; then \
		echo "No C++ compiler: llama-server is not built; the tests that drive it skip."; \
	else \
		set -e; \
		echo "Compiling llama.cpp's llama-server $(LLAMA_CPP_VERSION) once into $(LLAMA_SERVER_DIR)"; \
		command -v cmake >/dev/null || $(BIN)/python -m pip install --quiet cmake; \
		CMAKE=$$(command -v cmake || echo $(BIN)/cmake); \
		SRC=$(LLAMA_SERVER_DIR)/src; BUILD=$(LLAMA_SERVER_DIR)/build; \
		rm -rf $$SRC $$BUILD && mkdir -p $$SRC; \
		$(BIN)/python -m pip download --quiet --no-binary :all: --no-deps -d $$SRC \
			llama-cpp-python==$(LLAMA_CPP_VERSION); \
		tar -xzf $$SRC/llama_cpp_python-$(LLAMA_CPP_VERSION).tar.gz -C $$SRC; \
		$$CMAKE -S $$SRC/llama_cpp_python-$(LLAMA_CPP_VERSION)/vendor/llama.cpp -B $$BUILD \
			-DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF \
			-DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF \
			-DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF; \
		$$CMAKE --build $$BUILD --config Release --target llama-server -j 2; \
		cp $$BUILD/bin/llama-server $(LLAMA_SERVER); \
		rm -rf $$SRC $$BUILD; \
	fi

llama-server: $(LLAMA_SERVER)

$(STAMP): pyproject.toml $(LLAMA_STAMP) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps \
		$(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/evalstudio app

lint: $(STAMP)
	$(BIN)/ruff check evalstudio tests bench tools
	$(BIN)/ruff format --check evalstudio tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint $(LLAMA_SERVER)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# The suite without the model's own tests (marker `model`), the fuzz tests and the slow ones
# (the binary): what a change to the UI, the store or a service needs first. The others get
# the bundled model's recorded replies (tests/support/replay_backend.py).
test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not model and not slow and not fuzz" -q

# Record the bundled model's replies anew (after a prompt or the model changed): the whole
# suite once with the real model behind every replay, then the new replies appended.
record-replies: $(STAMP)
	rm -f tests/support/replies.jsonl
	EVALSTUDIO_REPLAY=record QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not model" -q

# The fuzz tests (marker `fuzz`) at full strength: 20,000 fresh examples each instead of the
# 1,000 fixed ones `make test` runs; figures and the last run in docs/reliability.md.
fuzz: $(STAMP)
	EVALSTUDIO_FUZZ=full QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m fuzz \
		--hypothesis-show-statistics

# The crash test at full strength: 250 SIGKILLs of an evaluator's process instead of 30.
crash: $(STAMP)
	EVALSTUDIO_CRASH=full QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -s \
		tests/system/test_crash_safety.py

# Everything docs/reliability.md reports, at full strength.
reliability: fuzz crash

bench: $(STAMP)
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_import_comparisons.py
	$(BIN)/python bench/bench_next_item.py
	$(BIN)/python bench/bench_assist.py
	$(BIN)/python bench/bench_review.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_merge.py
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/bench_export_comparisons.py
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_binary.py
	$(BIN)/python bench/bench_suspicion.py
	$(BIN)/python bench/bench_critique_placement.py

# The binary: dist/evalstudio/ (run dist/evalstudio/evalstudio) and the one file to hand out,
# dist/evalstudio-<version>-linux-x86_64 (packaging/README.md).
binary: $(STAMP)
	PYTHON=$(BIN)/python packaging/build.sh

# Screenshots of every main state in light and dark, into screenshots/ (not committed), and
# the README's two pictures, with fixed content, into docs/images/ (committed).
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/screenshots.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/screenshots.py --readme

clean-venv:
	rm -rf $(VENV)

# docs/schema.sql: the schema the migrations build (tests/store/test_schema_doc.py checks it).
schema: $(STAMP)
	$(BIN)/python -c "from evalstudio.store.schema_doc import schema_sql; print(schema_sql(), end='')" > docs/schema.sql
