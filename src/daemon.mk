# src/daemon.mk - stunringd, the UDP STUN responder (issue 3; RFC 5780 mode:
# issue 6), and its end-to-end tests (tests/e2e/).

DAEMON_SRCS := $(wildcard src/daemon/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON := $(BUILD)/stunringd
URING_CFLAGS := $(shell pkg-config --cflags liburing 2>/dev/null)
URING_LIBS := $(shell pkg-config --libs liburing 2>/dev/null || echo -luring)
# The configuration file is read by libinih (config_ini.c).
INIH_LIBS := $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
# --user (privdrop.c): libcap-ng; Type=notify and the watchdog: libsystemd.
CAPNG_LIBS := $(shell pkg-config --libs libcap-ng 2>/dev/null || echo -lcap-ng)
SYSTEMD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
# --metrics: the HTTP server (libmicrohttpd, Debian's libmicrohttpd-dev).
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)

ALL_TARGETS += $(DAEMON)
INSTALL_BINS += $(DAEMON)

$(DAEMON_OBJS): CPPFLAGS += $(URING_CFLAGS)
# --tls-listen (stream_tls.c, tls_ctx.c): OpenSSL 3 (libssl-dev, in
# tools/tls_client.mk's DEB_PKGS).
DAEMON_TLS_LIBS := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)

# The embedded server (stunring_server.h) in libstunring.so: the daemon's
# own configuration rules, sockets, workers and engines, UDP only (the
# stream engines link in, and with them OpenSSL, but are refused); the
# command-line helpers come along (config.c parses values with them).
SERVER_LIB_SRCS := src/daemon/stunring_server.c src/daemon/server.c src/daemon/worker.c \
		   src/daemon/engine_uring.c src/daemon/engine_mmsg.c \
		   src/daemon/uring_tcp.c src/daemon/mmsg_tcp.c \
		   src/daemon/stream_conn.c src/daemon/stream_close.c \
		   src/daemon/stream_sources.c src/daemon/stream_tls.c src/daemon/tls_ctx.c \
		   src/daemon/limiter.c src/daemon/listener.c src/daemon/log.c src/daemon/stats.c \
		   src/daemon/settings.c src/daemon/config.c src/daemon/rfc5780.c \
		   $(CLI_SRCS)
SERVER_PIC_OBJS := $(SERVER_LIB_SRCS:%.c=$(BUILD)/pic/%.o)
$(SERVER_PIC_OBJS): CPPFLAGS += $(URING_CFLAGS)
$(SO): $(SERVER_PIC_OBJS)
SO_LIBS = $(URING_LIBS) $(DAEMON_TLS_LIBS) -lpthread

# The installed static library: the .so's sources (the non-PIC objects the
# daemon is built from), partially linked into one object whose only
# global symbols are the .so's exports (src/libstunring.map: stun_*,
# stunring_*), so a static program gets the same API, server included, and
# none of the internals (worker_*, config_*...) that could clash with its
# own names.  $(LIB) stays the build's codec-and-client archive.
LIB_STATIC := $(BUILD)/dist/libstunring.a
OBJCOPY ?= objcopy
SERVER_OBJS := $(SERVER_LIB_SRCS:%.c=$(BUILD)/obj/%.o)
ALL_TARGETS += $(LIB_STATIC)
TEST_DEPS += $(LIB_STATIC)
$(LIB_STATIC): $(LIB_OBJS) $(SERVER_OBJS)
	@mkdir -p $(@D)
	$(LD) -r -o $(@D)/stunring.o $(LIB_OBJS) $(SERVER_OBJS)
	$(OBJCOPY) --wildcard --keep-global-symbol='stun_*' --keep-global-symbol='stunring_*' \
		$(@D)/stunring.o
	rm -f $@ && $(AR) rcs $@ $(@D)/stunring.o
-include $(SERVER_PIC_OBJS:.o=.d)

# --xdp links the XDP loader (bpf/xdp.mk, included before this file).
$(BUILD)/obj/src/daemon/xdp.o $(BUILD)/san/src/daemon/xdp.o $(BUILD)/obj/src/daemon/xdp_fdstore.o $(BUILD)/san/src/daemon/xdp_fdstore.o: CPPFLAGS += -Ibpf -I$(BUILD)/bpf
$(BUILD)/obj/src/daemon/xdp.o $(BUILD)/san/src/daemon/xdp.o: | $(XDP_SKEL)

$(DAEMON): $(DAEMON_OBJS) $(XDP_LOADER_OBJS) $(CLI_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(DAEMON_OBJS) $(XDP_LOADER_OBJS) $(CLI_LIB) $(LIB) $(URING_LIBS) $(INIH_LIBS) $(XDP_LDLIBS) $(MHD_LIBS) $(CAPNG_LIBS) $(SYSTEMD_LIBS) $(DAEMON_TLS_LIBS) -lpthread

# The same daemon under ASan+UBSan: make test runs end-to-end tests on it.
DAEMON_SAN_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/san/%.o)
DAEMON_SAN := $(BUILD)/san/stunringd
$(DAEMON_SAN_OBJS): CPPFLAGS += $(URING_CFLAGS)
$(DAEMON_SAN): $(DAEMON_SAN_OBJS) $(XDP_LOADER_OBJS) $(CLI_LIB_SAN) $(LIB_SAN)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $(DAEMON_SAN_OBJS) $(XDP_LOADER_OBJS) $(CLI_LIB_SAN) $(LIB_SAN) $(URING_LIBS) $(INIH_LIBS) $(XDP_LDLIBS) $(MHD_LIBS) $(CAPNG_LIBS) $(SYSTEMD_LIBS) $(DAEMON_TLS_LIBS) -lpthread

# make run: the defaults (0.0.0.0:3478 and [::]:3478).  3478 needs no
# privilege; if another server holds it, retry once on 13478 with a note.
# RUN_ARGS adds or overrides options.
RUN_ARGS ?=
RUN_ALT_PORT ?= 13478
run-daemon: $(DAEMON)
	@echo "make run: $(DAEMON) $(RUN_ARGS) in the foreground; Ctrl-C (SIGINT) or SIGTERM stops it."
	@if [ "$$(id -u)" != 0 ]; then \
		echo "make run: running as $$(id -un): port 3478 needs no privilege; socket buffers are capped by net.core.rmem_max (see the log)."; \
	fi
	@$(DAEMON) --stats-interval 10 $(RUN_ARGS); rc=$$?; \
	if [ $$rc -eq 69 ] && [ -z "$(RUN_ARGS)" ]; then \
		echo "make run: port 3478 is taken (another STUN/TURN server such as coturn?);" \
			"using $(RUN_ALT_PORT) instead: clients must ask for port $(RUN_ALT_PORT)." >&2; \
		$(DAEMON) --stats-interval 10 --listen 0.0.0.0:$(RUN_ALT_PORT) \
			--listen '[::]:$(RUN_ALT_PORT)'; rc=$$?; \
	fi; \
	if [ $$rc -eq 69 ]; then \
		echo "make run: pick a free port: make run RUN_ARGS='--listen 0.0.0.0:PORT --listen [::]:PORT'" >&2; \
	elif [ $$rc -eq 77 ]; then \
		echo "make run: $$(id -un) may not bind that port; use one >= 1024." >&2; \
	fi; \
	exit $$rc

# --- unit test of the metrics text and the health verdict (pure code) -------
METRICS_UNIT_OBJS := $(addprefix $(BUILD)/obj/src/daemon/, metrics.o health.o stats.o log.o \
	limiter.o stream_close.o)
$(BUILD)/tests/test_metrics: tests/unit/test_metrics.c $(METRICS_UNIT_OBJS) $(CLI_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $^ -lcmocka -o $@
TEST_DEPS += $(BUILD)/tests/test_metrics
TEST_PROGS += $(BUILD)/tests/test_metrics

# --- unit test of the TCP stream core (stream_conn.c, no engine, no socket) --
STREAM_UNIT_OBJS := $(addprefix $(BUILD)/obj/src/daemon/, stream_conn.o stream_sources.o \
	stream_close.o config.o log.o limiter.o)
$(BUILD)/tests/test_stream: tests/unit/test_stream.c $(STREAM_UNIT_OBJS) $(CLI_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(URING_CFLAGS) -Isrc/daemon $(CFLAGS) $^ -lcmocka -lpthread -o $@
TEST_DEPS += $(BUILD)/tests/test_stream
TEST_PROGS += $(BUILD)/tests/test_stream

# --- unit test of the abuse limits (limiter.h: GCRA, eviction, ACL) ----------
$(BUILD)/tests/test_limiter: tests/unit/test_limiter.c $(BUILD)/obj/src/daemon/limiter.o $(CLI_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $^ -lcmocka -o $@
TEST_DEPS += $(BUILD)/tests/test_limiter
TEST_PROGS += $(BUILD)/tests/test_limiter

# --- end-to-end tests ---------------------------------------------------------
E2E_CLIENT := $(BUILD)/e2e_stun_client
E2E_CLIENT_SRCS := tests/e2e/e2e_stun_client.c

$(E2E_CLIENT): $(E2E_CLIENT_SRCS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(E2E_CLIENT_SRCS) $(LIB) -lz

# Runs a program under a seccomp filter that forbids io_uring.
E2E_NO_URING := $(BUILD)/e2e_no_io_uring
$(E2E_NO_URING): tests/e2e/e2e_no_io_uring.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

TEST_DEPS += $(DAEMON) $(DAEMON_SAN) $(E2E_CLIENT) $(E2E_NO_URING) $(BUILD)/stunload
# stunringd --xdp: stunctl to read the counters, the codec-based client and
# the peer's XDP_PASS program (bpf/xdp.mk).
TEST_DEPS += $(BUILD)/stunctl $(BUILD)/stun_xdp_client $(XDP_PASS_OBJ)
TEST_PROGS += tests/e2e/test_daemon_xdp.sh
TEST_PROGS += tests/e2e/test_daemon_cli.sh tests/e2e/test_daemon_config.sh \
	tests/e2e/test_daemon_basic.sh \
	tests/e2e/test_daemon_clients.sh tests/e2e/test_daemon_netns.sh \
	tests/e2e/test_daemon_shutdown.sh tests/e2e/test_daemon_sanitizers.sh \
	tests/e2e/test_daemon_rfc5780.sh tests/e2e/test_daemon_rfc5780_clients.sh \
	tests/e2e/test_daemon_metrics.sh tests/e2e/test_daemon_privdrop.sh \
	tests/e2e/test_daemon_xdp_unprivileged.sh \
	tests/e2e/test_systemd_unit.sh \
	tests/e2e/test_abuse_netns.sh tests/e2e/test_faults_under_load.sh \
	tests/e2e/test_daemon_tcp.sh tests/e2e/test_daemon_tls.sh
TEST_PROGS += tests/e2e/test_daemon_tcp_limits.sh tests/e2e/test_daemon_tcp_crowd.sh \
	tests/e2e/test_daemon_tcp_term.sh
DEB_PKGS += coturn stun-client tshark iproute2 util-linux procps python3 libinih-dev
# --metrics (libmicrohttpd) and its test: a real Prometheus and promtool.
DEB_PKGS += libmicrohttpd-dev prometheus curl
# --user and systemd (Type=notify, watchdog); the unit test's systemd-analyze.
DEB_PKGS += libcap-ng-dev libsystemd-dev systemd

-include $(DAEMON_OBJS:.o=.d) $(DAEMON_SAN_OBJS:.o=.d)

# The embedded server and the client in one process, under ASan+UBSan.
EMBED_TEST_SAN := $(BUILD)/san/tests/test_embed_server
EMBED_SAN_OBJS := $(SERVER_LIB_SRCS:%.c=$(BUILD)/san/%.o)
$(EMBED_SAN_OBJS): CPPFLAGS += $(URING_CFLAGS)
TEST_DEPS += $(EMBED_TEST_SAN)
TEST_PROGS += $(EMBED_TEST_SAN)
$(EMBED_TEST_SAN): tests/unit/test_embed_server.c $(EMBED_SAN_OBJS) $(LIB_SAN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -o $@ tests/unit/test_embed_server.c \
		$(EMBED_SAN_OBJS) $(LIB_SAN) $(URING_LIBS) $(DAEMON_TLS_LIBS) -lpthread
