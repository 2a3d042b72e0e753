# stunring - one Makefile for everything, built into build/.
#
#   make            libstunring, the daemon, the tools, the load generator
#   make test       unit tests (plain and under ASan+UBSan), fuzz smoke run,
#                   end-to-end tests; ends with "N passed, N failed"
#   make run        build and start stunringd in the foreground
#   make bench      codec micro-benchmarks and the side-by-side comparison
#   make fuzz       run the libFuzzer harnesses (FUZZ_TIME=seconds each)
#   make soak       long load proofs of the abuse limits (SOAK_TIME=seconds)
#   make deps       install the Debian packages all of the above need
#   make install    PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc (man pages
#                   under PREFIX/share/man)
#   make clean
#
# Each directory adds its own rules in a small include (src/build.mk, ...).

PREFIX ?= /usr/local
DESTDIR ?=
# stunringd reads /etc/stunring/stunringd.conf: the example goes there
# (never over an existing one).
SYSCONFDIR ?= /etc
# libstunring (.a, .so.0) and stunring.pc (Debian: /usr/lib/<multiarch>).
LIBDIR ?= $(PREFIX)/lib
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
# What make, make test and make run need on a fresh Debian 12 machine
# (DEB_PKGS, which the directories' .mk files extend), and what make bench
# needs on top (BENCH_PKGS: the peers it compares against, gnuplot, ...).
# make deps / make bench-deps install what is missing, and nothing else.
DEB_PKGS := build-essential pkg-config clang llvm libclang-rt-dev \
	liburing-dev libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev \
	libcmocka-dev libbenchmark-dev iproute2 python3
DEB_PKGS += $(DEB_PKGS_EXTRA)
BENCH_PKGS :=

.PHONY: all deps bench-deps test test-run test-full run run-daemon bench bench-run fuzz soak \
	fuzz-run install clean
all:

# $(call install_pkgs,WHAT,PACKAGES): install the missing ones with apt-get
# as root; otherwise name them in one error line.
define install_pkgs
@missing=$$(for p in $(2); do \
	dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
done); \
if [ -z "$$missing" ]; then exit 0; fi; \
missing=$$(echo $$missing); \
if [ "$$(id -u)" != 0 ]; then \
	echo "make $(1): missing Debian packages: $$missing (run 'sudo make $(1)' as root)" >&2; \
	exit 1; \
fi; \
echo "make $(1): installing $$missing"; \
export DEBIAN_FRONTEND=noninteractive; \
apt-get update -q && apt-get install -y -q --no-install-recommends $$missing
endef

deps:
	$(call install_pkgs,deps,$(DEB_PKGS))
bench-deps: deps
	$(call install_pkgs,bench-deps,$(BENCH_PKGS))

# Every directory's rules.  They add to ALL_TARGETS (what make builds),
# INSTALL_BINS, TEST_DEPS (what make test builds) and TEST_PROGS (what it
# runs: programs that print TAP, see tests/run-tests.sh), BENCH_TARGETS and
# FUZZ_TARGETS (phony targets that make bench / make fuzz run in turn),
# DEB_PKGS and BENCH_PKGS, and INSTALL_TARGETS (what make install runs
# besides its own recipe).
# src/build.mk first: it defines $(LIB) and the pattern rules the others use;
# then src/cli.mk, the command-line helpers ($(CLI_LIB)) every program links.
include src/build.mk src/cli.mk
include $(filter-out src/build.mk src/cli.mk,$(sort $(wildcard src/*.mk tools/*.mk bpf/*.mk bench/*.mk tests/*.mk)))

all: $(ALL_TARGETS)

# deps first, then the real work in a second make that sees what deps
# installed.
test: deps
	@$(MAKE) --no-print-directory test-run
test-run: $(TEST_DEPS)
	@tests/run-tests.sh $(BUILD)/test-logs $(TEST_PROGS)

# make test-full: make test with the parts make test shortens run in full:
# every NAT variant in stunprobe_nat.sh, the sanitizer pass on both
# engines, three idle-crowd rounds (about 3 minutes more).
test-full: deps
	@NAT_VARIANTS=all SAN_ENGINES="uring mmsg" CROWD_ROUNDS=3 \
		$(MAKE) --no-print-directory test-run

run: deps
	@$(MAKE) --no-print-directory run-daemon

bench: bench-deps
	@$(MAKE) --no-print-directory bench-run
bench-run: $(BENCH_TARGETS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run
fuzz-run: $(FUZZ_TARGETS)

# make soak: the long versions of the load proofs (README "Abuse
# protection"): each abuse run lasts SOAK_TIME seconds (default 600), then
# steady load at 80% of capacity per engine and with XDP (SOAK_T in
# test_abuse_netns.sh: invalid answers, RSS, fds, counter drift), then the
# faults under load for SOAK_TIME seconds each (FAULT_T in
# test_faults_under_load.sh: kill -9 every ~2 s, stunctl attach/detach,
# SIGHUPs); and the sanitizer pass on both engines (make test: io_uring).
SOAK_TIME ?= 600
soak: $(TEST_DEPS)
	@ABUSE_T=$(SOAK_TIME) SOAK_T=$(SOAK_TIME) FAULT_T=$(SOAK_TIME) SAN_ENGINES="uring mmsg" \
		tests/run-tests.sh $(BUILD)/soak-logs \
		tests/e2e/test_abuse_netns.sh tests/e2e/test_faults_under_load.sh \
		tests/e2e/test_daemon_sanitizers.sh

install: all $(INSTALL_TARGETS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/stunring
	$(if $(strip $(INSTALL_BINS)),install -m 755 $(INSTALL_BINS) $(DESTDIR)$(PREFIX)/bin/)
	install -m 644 $(LIB_STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libstunring.so
	install -m 644 $(LIB_PUBLIC_HDRS) $(DESTDIR)$(PREFIX)/include/stunring/
	install -d $(DESTDIR)$(SYSCONFDIR)/stunring
	test -e $(DESTDIR)$(SYSCONFDIR)/stunring/stunringd.conf || \
		install -m 644 tools/dist/stunringd.conf $(DESTDIR)$(SYSCONFDIR)/stunring/
	printf 'prefix=%s\nlibdir=%s\nincludedir=$${prefix}/include/stunring\n\nName: stunring\nDescription: STUN codec, client and server library\nVersion: %s\nLibs: -L$${libdir} -lstunring\nRequires.private: liburing, libssl, libcrypto\nLibs.private: -lpthread\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(LIBDIR)' '$(VERSION)' >$(DESTDIR)$(LIBDIR)/pkgconfig/stunring.pc

clean:
	rm -rf $(BUILD)
