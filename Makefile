# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
JOBS   ?= 2
PORT   ?= 8000

.PHONY: run test install migrate demo lint messages check-deploy bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q ".[test]"
	touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

## run: install, migrate, load demo data, serve at http://$(HOST):$(PORT) with the in-process scheduler
run: demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	@$(BIN)/python manage.py run_scheduler & SCHED=$$!; \
	trap "kill $$SCHED 2>/dev/null" EXIT INT TERM; \
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

## test: the whole suite (unit, API, pages, browser) on JOBS processes, on PostgreSQL: DATABASE_URL's, or a
## throwaway one (pgserver) started for the run and removed after it. Installs Chromium if none is found.
test: install
	JOBS=$(JOBS) BIN=$(BIN) $(BIN)/python .ci/with_postgres.py bash .ci/test.sh $(PYTEST_ARGS)

## lint: ruff, and mypy on the actors and the service packages (typed `by`)
TYPED ?= portal/actors.py portal/fsm.py portal/roles.py portal/rows.py shop/services shipping/services aftersales/services
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy $(TYPED)
	$(BIN)/lint-imports

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=test-output -v0
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0

## check-deploy: Django's deployment checks with production settings, against a migrated throwaway database
## (the API schema check reads the Courier table, as a deployed portal's database has it)
check-deploy: install
	@db=$$(mktemp -d); trap "rm -rf $$db" EXIT; \
	export DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	  FIELD_ENCRYPTION_KEYS=$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_') \
	  PAYMENT_SANDBOX_SECRET=$$(head -c 48 /dev/urandom | base64) \
	  COURIER_WEBHOOK_SECRETS=ZTO=$$(head -c 48 /dev/urandom | base64 | tr -d '=,'),SF=$$(head -c 48 /dev/urandom | base64 | tr -d '=,') \
	  ALLOWED_HOSTS=portal.example.com DATABASE_URL=sqlite:///$$db/deploy.sqlite3; \
	$(BIN)/python manage.py migrate --noinput -v0 && \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

## bench: the order list and admin at 2M orders against their floors (PostgreSQL; DATABASE_URL=…/portal_bench)
bench: install
	$(BIN)/python manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles test-output
