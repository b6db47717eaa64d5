# moonstub — build, test, demo, bench.
#
#   make          build build/moonstub (static Lua 5.4 + LPeg, scripts embedded)
#   make test     every suite: unit (cmocka), diagnostics, Lua, corpus, Python (3.11, smoke on 3.10/3.13)
#   make demo     the greeter example
#   make bench    benchmarks (bench/)
#
# Missing Debian packages are installed with apt-get when running as root;
# otherwise the exact command is printed. Python packages go into .venv from
# requirements.txt.

CC        ?= gcc
BUILD     ?= build
CORPUS    ?= $(firstword $(wildcard ../shared/corpus /work/shared/corpus) ../shared/corpus)
PYTHON    ?= python3
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
LIBDIR    := /usr/lib/$(MULTIARCH)
LUA_INC   := /usr/include/lua5.4
LUA_LIBS  := $(LIBDIR)/liblua5.4-lpeg.a $(LIBDIR)/liblua5.4.a -lm -ldl

OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I$(LUA_INC) -Icore -I$(BUILD)
LDFLAGS   ?=

DEB_PACKAGES := liblua5.4-dev lua-lpeg-dev lua-lpeg libcmocka-dev protobuf-compiler python3-venv
VENV      := .venv
VPY       := $(VENV)/bin/python

LIB_SRCS  := core/arena.c core/diag.c core/lex.c core/model.c core/table.c core/parse_proto.c core/parse_util.c core/parse_fdl.c core/parse_fbs.c core/idl_common.c core/link_idl.c \
             core/compiler.c core/link.c core/model_json.c core/output.c core/lua_bridge.c \
             core/lua_model.c core/lua_host.c core/lua_search.c core/lua_sandbox.c core/lua_profile.c core/lua_workers.c core/lua_native.c \
             core/wire.c core/descriptor.c core/plugin.c core/descriptor_out.c core/descriptor_options.c \
             core/builtin_match.c
LIB_OBJS  := $(LIB_SRCS:core/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/embedded.o
# the Lua/Python scripts, and the .proto files found without -I (core/include: the well-known types)
SCRIPTS   := $(shell find rules emitters -type f \( -name '*.lua' -o -name '*.py' \) | LC_ALL=C sort) \
             $(shell find core/include -type f -name '*.proto' | LC_ALL=C sort)
HEADERS   := $(wildcard core/*.h)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all native deps venv test test-unit test-diag test-lua test-corpus test-golden golden-update test-py test-conformance demo bench clean lint

all: $(BUILD)/moonstub $(BUILD)/protoc-gen-moonstub native

# ---- dependencies ------------------------------------------------------------

# Installs the Debian packages $(1) that are missing (apt-get as root; others
# are told the command). The fuzz and stress makefiles use it too.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing Debian packages:$$missing"; \
	    (apt-get install -y --no-install-recommends $$missing >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends $$missing >/dev/null)) \
	     || { echo "make: apt-get failed for:$$missing" >&2; exit 1; }; \
	  else \
	    echo "make: missing Debian packages; run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi
endef

$(BUILD)/.deps:
	$(call apt_install,$(DEB_PACKAGES))
	@mkdir -p $(BUILD) && touch $@

deps: $(BUILD)/.deps

# aristaproto 2.0.0.dev1's runtime, which PyPI lacks (its compiler requires it: one pip call)
PEERS     ?= $(firstword $(wildcard ../shared/peers /work/shared/peers) ../shared/peers)

$(VENV)/.stamp: requirements.txt $(PEERS)/aristaproto-2.0.0.dev1.tar.gz | $(BUILD)/.deps
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements.txt $(PEERS)/aristaproto-2.0.0.dev1.tar.gz
	@touch $@

# .venv finds the native codec (and the package around it) in $(BUILD)/py
$(VENV)/.native-path: $(VENV)/.stamp
	$(VPY) -c 'import sysconfig, sys; open(sysconfig.get_paths()["purelib"] + "/moonstub-build.pth", "w").write(sys.argv[1] + "\n")' $(abspath $(BUILD)/py)
	@touch $@

venv: $(VENV)/.stamp $(VENV)/.native-path native

# ---- build -------------------------------------------------------------------

$(BUILD)/embed_gen: core/embed_gen.c | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

# LPeg's re module comes from Debian's lua-lpeg package, embedded as "re"
RE_LUA := /usr/share/lua/5.4/re.lua

$(BUILD)/embedded.c: $(BUILD)/embed_gen $(SCRIPTS)
	$(BUILD)/embed_gen $@ . $(SCRIPTS) $(if $(wildcard $(RE_LUA)),re=$(RE_LUA))

$(BUILD)/obj/embedded.o: $(BUILD)/embedded.c core/embedded.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(BUILD)/obj/%.o: core/%.c $(HEADERS) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libmoonstub.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/moonstub: $(BUILD)/obj/main.o $(BUILD)/libmoonstub.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LUA_LIBS)

# ---- the native codec (a CPython extension; docs/codec.md) --------------------------------

NATIVE_SRC    := emitters/python/moonstub/_native.c
PY_INCLUDE     = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
PY_EXT_SUFFIX  = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
NATIVE_CFLAGS ?= $(OPT) -g
NATIVE_STAMP  := $(BUILD)/py/.native-stamp

native: $(NATIVE_STAMP)

# tests and demos use the package: make sure it is current whenever the binary is
$(BUILD)/moonstub: | $(NATIVE_STAMP)

# the Python package `moonstub` as .venv sees it: the runtime beside the extension
PACKAGE_PY    := $(wildcard emitters/python/moonstub/*.py emitters/python/moonstub/*.pyi emitters/python/moonstub/py.typed)

$(NATIVE_STAMP): $(NATIVE_SRC) $(PACKAGE_PY) | $(BUILD)/.deps
	@mkdir -p $(BUILD)/py/moonstub/bin
	cp $(PACKAGE_PY) $(BUILD)/py/moonstub/
	ln -sf $(abspath $(BUILD)/moonstub) $(BUILD)/py/moonstub/bin/moonstub
	$(CC) $(NATIVE_CFLAGS) -std=c11 -Wall -Wextra -Werror -fPIC -shared -I$(PY_INCLUDE) \
	  -o $(BUILD)/py/moonstub/_native$(PY_EXT_SUFFIX) $(NATIVE_SRC)
	@touch $@

# The well-known types' classes in the runtime package, moonstub.wkt: reviewed
# output of moonstub itself, committed; `make wkt` regenerates it (tests/py/test_wkt.py
# fails when it is stale).
WKT_PROTOS := $(sort $(wildcard core/include/google/protobuf/*.proto))

.PHONY: wkt
wkt: $(BUILD)/moonstub
	rm -rf $(BUILD)/wkt
	$(BUILD)/moonstub -I core/include $(WKT_PROTOS) --python_out=$(BUILD)/wkt
	cp $(BUILD)/wkt/google_protobuf.py emitters/python/moonstub/wkt.py

# the same binary, as a protoc plugin
$(BUILD)/protoc-gen-moonstub: $(BUILD)/moonstub
	ln -sf moonstub $@

# ---- tests -------------------------------------------------------------------

$(BUILD)/tests/%: tests/unit/%.c tests/unit/support.h tests/unit/lex_fixture.h $(BUILD)/libmoonstub.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libmoonstub.a $(LUA_LIBS) -lcmocka

test: test-unit test-diag test-lua test-corpus test-golden test-py test-conformance test-pyversions
	@echo "make test: all suites passed"

test-unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done

test-diag: $(BUILD)/moonstub $(BUILD)/corpus/.stamp
	tests/diag/run.sh $(BUILD)/moonstub $(BUILD)/corpus/protobuf/src

test-lua: $(BUILD)/moonstub
	tests/lua/run.sh $(BUILD)/moonstub

test-corpus: $(BUILD)/moonstub $(BUILD)/corpus/.stamp venv
	$(VPY) tests/corpus/run_corpus.py --moonstub $(BUILD)/moonstub --corpus $(BUILD)/corpus --work $(BUILD)/corpus-work
	$(VPY) tests/corpus/check_python.py --moonstub $(BUILD)/moonstub --corpus $(BUILD)/corpus --work $(BUILD)/corpus-work

# generated Python for a googleapis subset, byte for byte against tests/golden/googleapis.sha256
# (command line, both rules presets, and the protoc plugin); tests/golden/README.md
test-golden: $(BUILD)/moonstub $(BUILD)/protoc-gen-moonstub $(BUILD)/corpus/.stamp venv
	$(VPY) tests/golden/run.py --moonstub $(BUILD)/moonstub --corpus $(BUILD)/corpus --keep $(BUILD)/golden-reference

# rewrite the manifest from this build's output: only after reviewing what `make test-golden` reports
golden-update: $(BUILD)/moonstub $(BUILD)/protoc-gen-moonstub $(BUILD)/corpus/.stamp venv
	$(VPY) tests/golden/run.py --moonstub $(BUILD)/moonstub --corpus $(BUILD)/corpus --keep $(BUILD)/golden-reference --update

test-py: $(BUILD)/moonstub $(BUILD)/protoc-gen-moonstub $(BUILD)/corpus/.stamp venv
	MOONSTUB=$(abspath $(BUILD)/moonstub) MOONSTUB_CORPUS=$(abspath $(BUILD)/corpus/protobuf) \
	  $(VPY) -m pytest -q -o asyncio_default_fixture_loop_scope=function tests/py

# the other CPythons (pyenv): greeter on sync and grpc.aio servers and stubs, well-known types,
# conformance on both codecs (tests/pyversions/run.sh)
PY_VERSIONS ?= 3.10 3.12 3.13

.PHONY: test-pyversions
test-pyversions: $(BUILD)/moonstub venv
	@for v in $(PY_VERSIONS); do echo "== python $$v"; \
	  CONFORMANCE_RUNNER=$(abspath $(CONFORMANCE_RUNNER)) tests/pyversions/run.sh $(BUILD)/moonstub $$v $(BUILD) || exit 1; done

CONFORMANCE_RUNNER ?= $(firstword $(wildcard ../shared/tools/conformance-runner /work/shared/tools/conformance-runner) ../shared/tools/conformance-runner)

test-conformance: $(BUILD)/moonstub venv
	MOONSTUB_CODEC=native CONFORMANCE_RUNNER=$(abspath $(CONFORMANCE_RUNNER)) tests/conformance/run.sh $(BUILD)/moonstub $(VPY) $(BUILD)/conformance-native
	MOONSTUB_CODEC=python CONFORMANCE_RUNNER=$(abspath $(CONFORMANCE_RUNNER)) tests/conformance/run.sh $(BUILD)/moonstub $(VPY) $(BUILD)/conformance-python

$(BUILD)/corpus/.stamp: $(wildcard $(CORPUS)/*.tar.gz)
	@test -f $(CORPUS)/googleapis-protos.tar.gz || { echo "make: corpus not found at $(CORPUS) (set CORPUS=...)" >&2; exit 1; }
	@mkdir -p $(BUILD)/corpus
	tar -C $(BUILD)/corpus -xzf $(CORPUS)/googleapis-protos.tar.gz
	tar -C $(BUILD)/corpus -xzf $(CORPUS)/protobuf-protos.tar.gz
	@touch $@

# ---- lint --------------------------------------------------------------------------
# clang-format (check mode, .clang-format), luacheck (.luacheckrc) and ruff
# (pyproject.toml), mypy --strict on the runtime package (as 3.11 and as 3.10 see
# it); .ci/run calls it. Their Debian packages are installed here.

LINT_PACKAGES := clang-format lua-check
LINT_C := $(wildcard core/*.c core/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c) $(NATIVE_SRC)

lint: venv
	$(call apt_install,$(LINT_PACKAGES))
	clang-format --dry-run --Werror $(LINT_C)
	luacheck --no-color -q rules emitters examples tests/lua
	$(VENV)/bin/ruff check --no-cache emitters/python tests bench examples
	$(VENV)/bin/python -m mypy --strict --no-incremental emitters/python/moonstub/*.py
	$(VENV)/bin/python -m mypy --strict --no-incremental --python-version 3.10 emitters/python/moonstub/*.py
	@echo "make lint: clean"

# ---- demo and bench ------------------------------------------------------------

demo: $(BUILD)/moonstub $(BUILD)/protoc-gen-moonstub venv
	$(BUILD)/moonstub --summary -I examples/greeter examples/greeter/greeter.fdl
	examples/greeter/run_demo.sh $(abspath $(BUILD)/moonstub) $(abspath $(VPY)) greeter.fdl
	examples/greeter/run_demo.sh $(abspath $(BUILD)/moonstub) $(abspath $(VPY)) greeter.proto

# every benchmark, then bench/REPORT.md and bench/plots/*.png (BENCH_BUDGET=seconds, default 1040); the codec
# piece builds the generator before tables (git archive cea853d) in $(BUILD)/bench-before as one more peer
bench: $(BUILD)/moonstub $(BUILD)/corpus/.stamp venv
	$(VPY) bench/report.py --moonstub $(BUILD)/moonstub --corpus $(BUILD)/corpus --before-dir $(BUILD)/bench-before

clean:
	rm -rf $(BUILD)

# pip wheel from a copy of the tree, installed in a fresh venv; the greeter runs
# from the installed package with the repository off sys.path (CI runs it)
.PHONY: test-wheel
test-wheel: venv
	MOONSTUB_PACKAGING=1 $(VPY) -m pytest -q -p no:cacheprovider -o asyncio_default_fixture_loop_scope=function \
	  tests/py/packaging

# ---- sanitizers ----------------------------------------------------------------

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: test-asan
test-asan: $(BUILD)/corpus/.stamp
	$(MAKE) BUILD=build-asan OPT="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	  build-asan/moonstub test-unit test-lua
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 tests/diag/run.sh build-asan/moonstub $(BUILD)/corpus/protobuf/src
	$(MAKE) test-asan-e2e
	$(MAKE) test-native-asan

# the native codec built with ASan/UBSan, loaded into the ordinary interpreter
# (libasan preloaded; every Python object through malloc so ASan sees it)
.PHONY: test-native-asan
test-native-asan: venv $(BUILD)/moonstub $(BUILD)/corpus/.stamp
	$(MAKE) BUILD=build-asan NATIVE_CFLAGS="$(ASAN_FLAGS)" build-asan/py/.native-stamp
	LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 PYTHONMALLOC=malloc \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 PYTHONPATH=$(abspath build-asan/py) MOONSTUB_CODEC=native \
	  MOONSTUB=$(abspath $(BUILD)/moonstub) MOONSTUB_CORPUS=$(abspath $(BUILD)/corpus/protobuf) \
	  $(VPY) -m pytest -q -p no:cacheprovider -o asyncio_default_fixture_loop_scope=function \
	  tests/py/test_native_unit.py tests/py/test_codecs_agree.py tests/py/test_tables.py tests/py/test_differential.py

# ---- hardening: fuzzers, sanitizer end-to-end, valgrind, load --------------------

include tests/fuzz/fuzz.mk
include tests/stress/stress.mk
