# bench/stunload.mk - the load generator (stunload), the minimal
# recvmmsg/sendmmsg reflector that stands for the kernel's limit
# (stun-reflector), and their tests.

# src/build.mk is included after this file (sorted order): name the
# library directly rather than through $(LIB).
STUNLOAD_LIB := $(BUILD)/libstunring.a
STUNLOAD_SRCS := $(filter-out %.bpf.c,$(wildcard bench/stunload/*.c))
STUNLOAD_OBJS := $(STUNLOAD_SRCS:%.c=$(BUILD)/obj/%.o)

# --engine xdp: BPF programs, their bpftool skeleton, libbpf.
STUNLOAD_BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -Wall -Wextra \
	-I/usr/include/$(shell $(CC) -dumpmachine 2>/dev/null || echo x86_64-linux-gnu) \
	-Isrc -Ibpf -Ibench/stunload
ifneq ($(CI)$(WERROR),)
STUNLOAD_BPF_CFLAGS += -Werror
endif
STUNLOAD_SKEL := $(BUILD)/bench/stunload_xdp.skel.h
STUNLOAD_PASS := $(BUILD)/bench/xdp_peer_pass.bpf.o
STUNLOAD_BPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)

# The generator checks FINGERPRINTs with the XDP responder's CRC table.
$(BUILD)/bench/%.bpf.o: bench/stunload/%.bpf.c bench/stunload/xdp_shared.h src/stun_wire.h \
			 bpf/stun_crc32_table.h
	@mkdir -p $(@D)
	$(CLANG) $(STUNLOAD_BPF_CFLAGS) -c $< -o $@

$(STUNLOAD_SKEL): $(BUILD)/bench/xdp_gen.bpf.o
	bpftool gen skeleton $< name stunload_xdp > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/bench/stunload/engine_xdp.o: CPPFLAGS += -I$(BUILD)/bench
$(BUILD)/obj/bench/stunload/engine_xdp.o: $(STUNLOAD_SKEL)

# --transport tls: the TLS client helper shared with stunprobe
# (tools/tls_client.mk) and OpenSSL.
$(BUILD)/stunload: $(STUNLOAD_OBJS) $(BUILD)/obj/tools/tls_client.o $(CLI_LIB) $(STUNLOAD_LIB)
	$(CC) $(CFLAGS) $^ $(STUNLOAD_BPF_LIBS) $(TLS_CLIENT_LIBS) -lpthread -lm -o $@

$(BUILD)/stun-reflector: $(BUILD)/obj/bench/reflector.o $(CLI_LIB) $(STUNLOAD_LIB)
	$(CC) $(CFLAGS) $^ -lpthread -o $@

# Tests: the wrong responder, the unit test of the histogram, pacer and
# transaction table, and the end-to-end scripts.
$(BUILD)/tests/bad_responder: $(BUILD)/obj/tests/e2e/bad_responder.o $(STUNLOAD_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $^ -o $@

STUNLOAD_UNIT_OBJS := $(addprefix $(BUILD)/obj/bench/stunload/, \
	histogram.o pacing.o txtable.o validate.o report.o options.o)
$(BUILD)/tests/test_stunload: tests/unit/test_stunload.c $(STUNLOAD_UNIT_OBJS) $(CLI_LIB) $(STUNLOAD_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ibench/stunload $(CFLAGS) $^ -lcmocka -lm -o $@

ALL_TARGETS += $(BUILD)/stunload $(BUILD)/stun-reflector $(STUNLOAD_PASS)
INSTALL_BINS += $(BUILD)/stunload $(BUILD)/stun-reflector
TEST_DEPS += $(BUILD)/stunload $(BUILD)/stun-reflector $(STUNLOAD_PASS) \
	     $(BUILD)/tests/bad_responder $(BUILD)/tests/test_stunload
TEST_PROGS += $(BUILD)/tests/test_stunload tests/e2e/stunload_flags.sh \
	      tests/e2e/stunload_reflector.sh tests/e2e/stunload_faults.sh \
	      tests/e2e/stunload_xdp.sh tests/e2e/stunload_stream.sh
# stunload_stream.sh: coturn serves TCP and TLS, openssl makes the
# throw-away certificate.
DEB_PKGS += coturn openssl

-include $(STUNLOAD_OBJS:.o=.d) $(BUILD)/obj/bench/reflector.d \
	 $(BUILD)/obj/tests/e2e/bad_responder.d
