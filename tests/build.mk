# tests/build.mk - codec unit tests (plain and under ASan+UBSan), the
# no-allocation check and the fuzz smoke run.

UNIT_NAMES := test_vectors test_parse test_encode test_respond test_client \
	      test_amplification \
	      test_addr
UNIT_BINS := $(UNIT_NAMES:%=$(BUILD)/tests/%)
UNIT_SAN_BINS := $(UNIT_NAMES:%=$(BUILD)/san/tests/%)
CMOCKA_LIBS := -lcmocka

$(BUILD)/tests/%: tests/unit/%.c tests/unit/test_util.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIB) $(CMOCKA_LIBS) -o $@

$(BUILD)/san/tests/%: tests/unit/%.c tests/unit/test_util.h $(LIB_SAN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) $< $(LIB_SAN) $(CMOCKA_LIBS) -o $@

# The hot path must not allocate: every allocator entry point is wrapped
# (--wrap affects the library's own references) and counted.
NOALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=aligned_alloc,--wrap=posix_memalign,--wrap=strdup
$(BUILD)/tests/test_noalloc: tests/unit/test_noalloc.c tests/unit/test_util.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIB) $(CMOCKA_LIBS) $(NOALLOC_WRAP) -o $@

TEST_DEPS += $(UNIT_BINS) $(UNIT_SAN_BINS) $(BUILD)/tests/test_noalloc
TEST_PROGS += $(UNIT_BINS) $(BUILD)/tests/test_noalloc tests/unit/check_lib_symbols.sh \
	      $(UNIT_SAN_BINS)

# --- fuzzing (clang libFuzzer + ASan + UBSan) ------------------------------
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=undefined -Isrc -D_GNU_SOURCE
FUZZ_BINS := $(BUILD)/fuzz/fuzz_respond $(BUILD)/fuzz/fuzz_addr $(BUILD)/fuzz/fuzz_config \
	     $(BUILD)/fuzz/fuzz_cli $(BUILD)/fuzz/fuzz_validate $(BUILD)/fuzz/fuzz_stream
FUZZ_TIME ?= 300
FUZZ_SMOKE_TIME ?= 4

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_check.h $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) $< $(LIB_SRCS) -o $@

# The harnesses beyond the codec link the code they test from source, so
# that it is instrumented too (the daemon's config reader with libinih, the
# cli library, stunload's validator and transaction table).
FUZZ_CONFIG_SRCS := src/daemon/config_load.c src/daemon/config_ini.c src/daemon/config.c \
		    src/daemon/rfc5780.c src/daemon/log.c $(CLI_SRCS)
$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c tests/fuzz/fuzz_check.h $(FUZZ_CONFIG_SRCS) $(LIB_SRCS) $(LIB_HDRS) \
			   $(wildcard src/daemon/*.h src/cli/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) $< $(FUZZ_CONFIG_SRCS) $(LIB_SRCS) $(INIH_LIBS) -o $@
$(BUILD)/fuzz/fuzz_cli: tests/fuzz/fuzz_cli.c tests/fuzz/fuzz_check.h $(CLI_SRCS) $(LIB_SRCS) $(LIB_HDRS) src/cli/cli.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) $< $(CLI_SRCS) $(LIB_SRCS) -o $@
FUZZ_VALIDATE_SRCS := bench/stunload/validate.c bench/stunload/txtable.c
$(BUILD)/fuzz/fuzz_validate: tests/fuzz/fuzz_validate.c tests/fuzz/fuzz_check.h $(FUZZ_VALIDATE_SRCS) $(LIB_SRCS) \
			     $(LIB_HDRS) $(wildcard bench/stunload/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -Ibench/stunload $< $(FUZZ_VALIDATE_SRCS) $(LIB_SRCS) -o $@
# The TCP stream core with its pool, timers, sources and the limiter.
FUZZ_STREAM_SRCS := $(addprefix src/daemon/, stream_conn.c stream_sources.c stream_close.c \
		    config.c log.c limiter.c) $(CLI_SRCS)
$(BUILD)/fuzz/fuzz_stream: tests/fuzz/fuzz_stream.c tests/fuzz/fuzz_check.h $(FUZZ_STREAM_SRCS) $(LIB_SRCS) \
			   $(LIB_HDRS) $(wildcard src/daemon/*.h src/cli/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) $(URING_CFLAGS) -Isrc/daemon $< $(FUZZ_STREAM_SRCS) $(LIB_SRCS) -lpthread -o $@

# make test: a short bounded run of each harness (4 s each, 24 s in all;
# make fuzz runs them for FUZZ_TIME).
$(BUILD)/tests/fuzz_smoke: tests/fuzz/fuzz_run.sh tests/build.mk
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec tests/fuzz/fuzz_run.sh %s\n' "$(FUZZ_SMOKE_TIME)" >$@
	chmod +x $@
TEST_DEPS += $(FUZZ_BINS) $(BUILD)/tests/fuzz_smoke
TEST_PROGS += $(BUILD)/tests/fuzz_smoke
.PHONY: fuzz-libfuzzer
fuzz-libfuzzer: $(FUZZ_BINS)
	tests/fuzz/fuzz_run.sh $(FUZZ_TIME)
FUZZ_TARGETS += fuzz-libfuzzer
