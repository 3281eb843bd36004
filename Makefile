# The checklist's make targets (T303, T310-T313), as validator commands over the same spec.
# SPEC picks the files: the shipped images by default, the local stand-ins with OFFLINE=1.
PY ?= .venv/bin/python
SPEC = -f infra.yaml $(if $(OFFLINE),-f infra.offline.yaml)

.PHONY: start-test-infra stop-test-infra verify-test-infra clean-delta-tables test test-quick lint

start-test-infra:        ## T310: bring every service up and healthy
	$(PY) -m validator up $(SPEC)

stop-test-infra:         ## T311: stop and remove the project's containers and networks
	$(PY) -m validator down $(SPEC)

verify-test-infra:       ## T313: every check against what runs now, changing nothing
	$(PY) -m validator check $(SPEC) --no-up --no-suites

clean-delta-tables:      ## T312: leftovers of interrupted Delta tests (the fixture removes its own)
	rm -rf data/delta-tables/test_* $${CDC_DELTA_SHARED:-/var/tmp/cdc-platform/delta-tables}/test_* \
	    $${CDC_DELTA_SHARED:-/var/tmp/cdc-platform/delta-tables}/validator_*

test:                    ## T320: the whole checklist, criteria and reports included
	$(PY) -m validator check $(SPEC)

test-quick:              ## validator's own quick tests (no Docker)
	$(PY) -m pytest -m "not docker and not slow"

lint:                    ## the spec, and validator's own code
	$(PY) -m validator lint $(SPEC)
	.venv/bin/ruff check validator tests examples tools
	.venv/bin/mypy
