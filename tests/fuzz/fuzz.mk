# Fuzzing and memory checks; included from the main Makefile
# (`include tests/fuzz/fuzz.mk`), whose variables it uses: BUILD, LIB_SRCS,
# HEADERS, LUA_INC, LUA_LIBS, VPY, ASAN_FLAGS, and the rules for
# $(BUILD)/embedded.c, $(BUILD)/moonstub and $(BUILD)/corpus/.stamp.
#
#   make fuzz             every libFuzzer target for FUZZ_SECONDS (60) each, after
#                         replaying tests/fuzz/regressions/<target>/*; fails on any
#                         crash, leak, timeout or out-of-memory
#   make fuzz-long        the same, 1800 s per target
#   make fuzz FUZZ_TARGETS="proto request" FUZZ_SECONDS=300
#   make test-valgrind    the diagnostics suite and the native codec under valgrind
#                         (test-valgrind-native: the codec alone; tests/valgrind/)
#   make test-asan-e2e    end-to-end generation (command line and protoc plugin)
#                         with the ASan/UBSan binary, compared with build/moonstub
#
# Targets (binaries in $(FUZZ_BUILD)/): fuzz_proto, fuzz_fdl, fuzz_fbs (one schema
# file through its front end and the linker, tests/fuzz/fuzz_compile.c),
# fuzz_request (a CodeGeneratorRequest, tests/fuzz/fuzz_request.c) and, opt-in
# with FUZZ_TARGETS=generate, fuzz_generate (a .proto through the Lua emitters). Findings are
# kept in $(FUZZ_BUILD)/crashes/<target>/, the growing corpus in
# $(FUZZ_BUILD)/corpus/<target>/, logs in $(FUZZ_BUILD)/logs/.

ifndef MOONSTUB_FUZZ_MK
MOONSTUB_FUZZ_MK := 1

FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= proto fdl fbs request native
FUZZ_NICE    ?=
FUZZ_DEB_PACKAGES := clang libclang-rt-dev
FUZZ_LANGS   := proto fdl fbs

FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
               -std=c11 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I$(LUA_INC) -Icore -I$(BUILD)
FUZZ_LIB_OBJS := $(LIB_SRCS:core/%.c=$(FUZZ_BUILD)/obj/%.o) $(FUZZ_BUILD)/obj/embedded.o
FUZZ_BINS   := $(FUZZ_LANGS:%=$(FUZZ_BUILD)/fuzz_%) $(FUZZ_BUILD)/fuzz_request $(FUZZ_BUILD)/fuzz_generate \
               $(FUZZ_BUILD)/fuzz_native
# imports of fuzzed schemas resolve here (the well-known types, googleapis)
FUZZ_ROOTS  := $(abspath $(BUILD)/corpus/protobuf/src):$(abspath $(BUILD)/corpus/googleapis)
# protoc for the request seeds: grpcio-tools' (knows editions) when .venv has it
FUZZ_PROTOC ?= $(if $(wildcard $(VPY)),$(VPY) -m grpc_tools.protoc,protoc)

.PHONY: fuzz fuzz-long fuzz-build fuzz-seeds fuzz-clean test-valgrind test-asan-e2e

$(FUZZ_BUILD)/.deps:
	$(call apt_install,$(FUZZ_DEB_PACKAGES))
	@mkdir -p $(FUZZ_BUILD) && touch $@

# the library: coverage-instrumented for libFuzzer, with ASan and UBSan
$(FUZZ_BUILD)/obj/%.o: core/%.c $(HEADERS) | $(FUZZ_BUILD)/.deps $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/obj/embedded.o: $(BUILD)/embedded.c core/embedded.h | $(FUZZ_BUILD)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(FUZZ_BUILD)/libmoonstub.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_LANGS:%=$(FUZZ_BUILD)/fuzz_%): $(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_compile.c $(FUZZ_BUILD)/libmoonstub.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_PATH='"fuzz.$*"' -DFUZZ_ROOTS='"$(FUZZ_ROOTS)"' \
	  -o $@ $< $(FUZZ_BUILD)/libmoonstub.a $(LUA_LIBS)

$(FUZZ_BUILD)/fuzz_request: tests/fuzz/fuzz_request.c $(FUZZ_BUILD)/libmoonstub.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libmoonstub.a $(LUA_LIBS)

# opt-in (not in FUZZ_TARGETS): the whole pipeline with the Lua emitters
$(FUZZ_BUILD)/fuzz_generate: tests/fuzz/fuzz_generate.c $(FUZZ_BUILD)/libmoonstub.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_ROOTS='"$(FUZZ_ROOTS)"' \
	  -o $@ $< $(FUZZ_BUILD)/libmoonstub.a $(LUA_LIBS)

# the native codec inside an embedded CPython: the extension's source is
# compiled into the harness with coverage, ASan and UBSan
FUZZ_PY_LIBDIR = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')
FUZZ_PY_LIB    = $(shell $(PYTHON) -c 'import sysconfig; print("python" + sysconfig.get_config_var("LDVERSION"))')
$(FUZZ_BUILD)/fuzz_native: tests/fuzz/fuzz_native.c $(NATIVE_SRC) | $(FUZZ_BUILD)/.deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -I$(PY_INCLUDE) -o $@ tests/fuzz/fuzz_native.c $(NATIVE_SRC) \
	  -L$(FUZZ_PY_LIBDIR) -l$(FUZZ_PY_LIB) -Wl,-rpath,$(FUZZ_PY_LIBDIR) -lm -ldl

# the modules fuzz_native decodes: protobuf's conformance and map test messages
FUZZ_NATIVE_PROTOS := google/protobuf/test_messages_proto2.proto google/protobuf/test_messages_proto3.proto \
                      google/protobuf/map_unittest.proto
$(FUZZ_BUILD)/native-gen/.stamp: $(BUILD)/moonstub $(BUILD)/corpus/.stamp tests/fuzz/native_seeds.py | $(FUZZ_BUILD)/.deps
	rm -rf $(FUZZ_BUILD)/native-gen $(FUZZ_BUILD)/seeds/native
	$(BUILD)/moonstub -I $(BUILD)/corpus/protobuf/src -I $(BUILD)/corpus/protobuf \
	  $(FUZZ_NATIVE_PROTOS:%=$(BUILD)/corpus/protobuf/src/%) \
	  $(BUILD)/corpus/protobuf/editions/golden/test_messages_proto2_editions.proto \
	  $(BUILD)/corpus/protobuf/editions/golden/test_messages_proto3_editions.proto \
	  --python_out=$(FUZZ_BUILD)/native-gen --opt runtime=vendored
	MOONSTUB_CODEC=python $(PYTHON) tests/fuzz/native_seeds.py $(FUZZ_BUILD)/native-gen $(FUZZ_BUILD)/seeds/native 4
	@touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_BUILD)/native-gen/.stamp

# seed corpora, made at run time from the corpus and the tests (not committed)
$(FUZZ_BUILD)/seeds/.stamp: tests/fuzz/make_seeds.sh tests/fuzz/dump_request.sh \
    $(wildcard tests/fuzz/seeds-fdl/* tests/fuzz/seeds-fbs/*) $(BUILD)/corpus/.stamp | $(FUZZ_BUILD)/.deps
	PROTOC="$(FUZZ_PROTOC)" tests/fuzz/make_seeds.sh $(FUZZ_BUILD)/seeds $(BUILD)/corpus
	@touch $@

fuzz-seeds: $(FUZZ_BUILD)/seeds/.stamp

fuzz: fuzz-build fuzz-seeds
	FUZZ_NICE="$(FUZZ_NICE)" FUZZ_PYTHONHOME="$$($(PYTHON) -c 'import sys; print(sys.base_prefix)')" \
	  FUZZ_NATIVE_PATH="$(abspath $(BUILD)/py)" tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=1800

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

# ---- memory checks of the ordinary binaries and the native codec ------------------------

test-valgrind: $(BUILD)/moonstub $(BUILD)/corpus/.stamp test-valgrind-native
	$(call apt_install,valgrind)
	VALGRIND=1 tests/diag/run.sh $(BUILD)/moonstub $(BUILD)/corpus/protobuf/src

# The native codec (the extension $(BUILD)/py builds) under memcheck: tests/valgrind/native_driver.py
# runs encode, decode, merge and every error path over the modules fuzz_native decodes (native-gen,
# above), VALGRIND_NATIVE_ROUNDS times, in the interpreter the extension was built for, with
# PYTHONMALLOC=malloc. tests/valgrind/check_native.py runs it and judges valgrind's XML report with
# a filter rather than suppressions, because CPython is not valgrind-clean and a suppression names
# the stack of a report, not its cause: leaks are listed only "definitely" and "indirectly" lost
# (--show-leak-kinds) and fail when their allocation stack has a frame of the extension (CPython's
# own blocks left at exit do not); use of uninitialised values fails when the extension is on the
# stack of the use or of the value's origin (--track-origins; pyenv's CPython 3.11 reports its
# own); invalid reads, writes and frees fail wherever they are, as a reference released once too
# often shows up in CPython's code. Leaked objects the garbage collector tracks are not "lost" for
# valgrind: the driver fails when live objects grow with the rounds. Report: $(BUILD)/valgrind/.
VALGRIND_NATIVE_ROUNDS ?= 10
.PHONY: test-valgrind-native
test-valgrind-native: $(NATIVE_STAMP) $(FUZZ_BUILD)/native-gen/.stamp
	$(call apt_install,valgrind)
	PYTHONPATH=$(abspath $(BUILD)/py) $(PYTHON) tests/valgrind/check_native.py \
	  $(FUZZ_BUILD)/native-gen $(BUILD)/valgrind $(VALGRIND_NATIVE_ROUNDS)

test-asan-e2e: $(BUILD)/moonstub $(BUILD)/protoc-gen-moonstub $(BUILD)/corpus/.stamp
	$(MAKE) BUILD=build-asan OPT="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	  build-asan/moonstub build-asan/protoc-gen-moonstub
	PROTOC="$(FUZZ_PROTOC)" tests/fuzz/asan_e2e.sh build-asan/moonstub $(BUILD)/moonstub $(BUILD)/corpus

endif
