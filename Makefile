# stunring - one Makefile for everything, built into build/.
#
#   make            libstunring, the daemon, the tools, the load generator
#   make test       unit tests (plain and under ASan+UBSan), fuzz smoke run,
#                   end-to-end tests; ends with "N passed, N failed"
#   make run        build and start stunringd in the foreground
#   make bench      codec micro-benchmarks and the side-by-side comparison
#   make fuzz       run the libFuzzer harnesses (FUZZ_TIME=seconds each)
#   make deps       install the Debian packages all of the above need
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean
#
# Each directory adds its own rules in a small include (src/build.mk, ...).

PREFIX ?= /usr/local
DESTDIR ?=
BUILD := build
VERSION := $(shell sed -n 's/^#define STUNRING_VERSION "\(.*\)"/\1/p' src/stunring.h)

CC ?= cc
CXX ?= c++
CLANG ?= clang

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# CI builds must be warning-free: there warnings are errors.
ifneq ($(CI)$(WERROR),)
WARN += -Werror
endif
OPT ?= -O2 -g
CPPFLAGS += -Isrc -D_GNU_SOURCE
CFLAGS := -std=gnu11 $(OPT) $(WARN) -fno-strict-aliasing $(CFLAGS_EXTRA)
LDLIBS :=

# Sanitizer build of the same sources (unit tests run under it too).
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined
SAN_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fno-strict-aliasing $(SAN_FLAGS)

# --- Debian packages --------------------------------------------------------
# Everything make, make test, make run and make bench need on a fresh
# Debian 12 machine.  make deps installs what is missing, and nothing else.
DEB_PKGS := build-essential pkg-config clang llvm libclang-rt-dev \
	liburing-dev libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev \
	libcmocka-dev libbenchmark-dev iproute2 python3
DEB_PKGS += $(DEB_PKGS_EXTRA)

.PHONY: all deps test test-run run run-daemon bench bench-run fuzz fuzz-run install clean
all:

# Tell make deps which packages are not installed.
define missing_pkgs
$$(for p in $(DEB_PKGS); do \
	dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
done)
endef

deps:
	@missing="$(missing_pkgs)"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	missing=$$(echo $$missing); \
	if [ "$$(id -u)" != 0 ]; then \
		echo "make deps: missing Debian packages: $$missing (run 'sudo make deps' as root)" >&2; \
		exit 1; \
	fi; \
	echo "make deps: installing $$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing

# Every directory's rules.  They add to ALL_TARGETS (what make builds),
# INSTALL_BINS, TEST_DEPS (what make test builds) and TEST_PROGS (what it
# runs: programs that print TAP, see tests/run-tests.sh), BENCH_DEPS and
# BENCH_CMDS, FUZZ_DEPS and FUZZ_CMDS.
# src/build.mk first: it defines $(LIB) and the pattern rules the others use.
include src/build.mk
include $(filter-out src/build.mk,$(sort $(wildcard src/*.mk tools/*.mk bpf/*.mk bench/*.mk tests/*.mk)))

all: $(ALL_TARGETS)

# deps first, then the real work in a second make that sees what deps
# installed.
test: deps
	@$(MAKE) --no-print-directory test-run
test-run: $(TEST_DEPS)
	@tests/run-tests.sh $(BUILD)/test-logs $(TEST_PROGS)

run: deps
	@$(MAKE) --no-print-directory run-daemon

bench: deps
	@$(MAKE) --no-print-directory bench-run
bench-run: $(BENCH_DEPS)
	@set -e; $(foreach c,$(BENCH_CMDS),$(c);)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run
fuzz-run: $(FUZZ_DEPS)
	@set -e; $(foreach c,$(FUZZ_CMDS),$(c);)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/stunring
	$(if $(strip $(INSTALL_BINS)),install -m 755 $(INSTALL_BINS) $(DESTDIR)$(PREFIX)/bin/)
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 src/stunring.h src/stun_wire.h $(DESTDIR)$(PREFIX)/include/stunring/
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include/stunring\n\nName: stunring\nDescription: zero-allocation STUN codec\nVersion: %s\nLibs: -L$${libdir} -lstunring\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(VERSION)' >$(DESTDIR)$(PREFIX)/lib/pkgconfig/stunring.pc

clean:
	rm -rf $(BUILD)
