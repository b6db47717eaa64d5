# make stress -- the load test of tests/py/hardening/test_load.py with
# STRESS_RPCS RPCs per server (default 100,000; `make test` runs it with 5,000).
#
# Included by the main Makefile (include tests/stress/stress.mk), which defines
# BUILD, VENV and VPY and the rules for $(BUILD)/moonstub and $(VENV)/.stamp.
# On its own: make -f Makefile -f tests/stress/stress.mk stress

STRESS_RPCS ?= 100000

.PHONY: stress

stress: $(BUILD)/moonstub $(VENV)/.stamp
	MOONSTUB=$(abspath $(BUILD)/moonstub) MOONSTUB_LOAD_RPCS=$(STRESS_RPCS) \
	  $(VPY) -m pytest -q -s -o asyncio_default_fixture_loop_scope=function tests/py/hardening/test_load.py
