# bpf/xdp.mk - the XDP responder: BPF objects, the bpftool skeleton, the
# loader library (used by stunctl and, later, stunringd --xdp) and its
# unit test.
#
#   build/bpf/stun_xdp.bpf.o    the responder (clang -target bpf)
#   build/bpf/stun_xdp.skel.h   its skeleton (bpftool gen skeleton)
#   build/bpf/xdp_pass.bpf.o    XDP_PASS only, for the peer end of a veth
#   build/test_xdp_prog         bpf_prog_test_run tests against the codec
#   build/stun_xdp_client, build/stun_test_responder   e2e test helpers
#   build/bpf/xdp_reflect.bpf.o  the bare reflector: the XDP benchmark's
#                               baseline, and stunload --echo's test peer

XDP_BPF_CC ?= $(CLANG)
XDP_BPF_ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
XDP_BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -Wall -Wextra -fno-strict-aliasing -I$(XDP_BPF_ARCH_INC) -Isrc -Ibpf
ifneq ($(CI)$(WERROR),)
XDP_BPF_CFLAGS += -Werror
endif

XDP_BPF_OBJ := $(BUILD)/bpf/stun_xdp.bpf.o
XDP_PASS_OBJ := $(BUILD)/bpf/xdp_pass.bpf.o
XDP_SKEL := $(BUILD)/bpf/stun_xdp.skel.h
XDP_LOADER_OBJS := $(BUILD)/obj/bpf/xdp_loader.o $(BUILD)/obj/bpf/xdp_find.o $(BUILD)/obj/bpf/xdp_held.o \
	$(BUILD)/obj/bpf/xdp_config.o
XDP_LDLIBS := $(shell pkg-config --libs libxdp libbpf 2>/dev/null || echo -lxdp -lbpf -lelf -lz)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/stun_xdp_common.h bpf/stun_crc32_table.h src/stun_wire.h
	@mkdir -p $(@D)
	$(XDP_BPF_CC) $(XDP_BPF_CFLAGS) -c $< -o $@

$(XDP_SKEL): $(XDP_BPF_OBJ)
	bpftool gen skeleton $< name stun_xdp > $@.tmp && mv $@.tmp $@

# Loader and tests include the skeleton and the shared header.
$(XDP_LOADER_OBJS) $(BUILD)/obj/tests/bpf/test_xdp_prog.o: CPPFLAGS += -Ibpf -I$(BUILD)/bpf
$(XDP_LOADER_OBJS) $(BUILD)/obj/tests/bpf/test_xdp_prog.o: | $(XDP_SKEL)

$(BUILD)/test_xdp_prog: $(BUILD)/obj/tests/bpf/test_xdp_prog.o $(BUILD)/obj/bpf/xdp_config.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(XDP_LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# Regenerate the CRC table the BPF program includes (checked in).
.PHONY: bpf-crc-table
bpf-crc-table:
	python3 bpf/gen_crc32_table.py bpf/stun_crc32_table.h

ALL_TARGETS += $(XDP_BPF_OBJ) $(XDP_PASS_OBJ)
TEST_DEPS += $(XDP_BPF_OBJ) $(XDP_PASS_OBJ) $(BUILD)/test_xdp_prog
TEST_PROGS += $(BUILD)/test_xdp_prog
DEB_PKGS += clang llvm bpftool libbpf-dev libxdp-dev libcmocka-dev

-include $(XDP_LOADER_OBJS:.o=.d) $(BUILD)/obj/tests/bpf/test_xdp_prog.d

# Helpers of the end-to-end test (tests/bpf/test_xdp_e2e.sh): a codec-based
# client and a stand-in for stunringd answering what XDP passes.
$(BUILD)/stun_xdp_client $(BUILD)/stun_test_responder: $(BUILD)/%: $(BUILD)/obj/tests/bpf/%.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $^
TEST_DEPS += $(BUILD)/stun_test_responder
-include $(BUILD)/obj/tests/bpf/stun_xdp_client.d $(BUILD)/obj/tests/bpf/stun_test_responder.d

# Benchmark (make bench only): stunload's live-frame engine -> veth ->
# the reflector, the responder, stunringd.
XDP_REFLECT_OBJ := $(BUILD)/bpf/xdp_reflect.bpf.o
XDP_BENCH_DEPS := $(BUILD)/stunload $(BUILD)/stunctl $(BUILD)/stunringd \
	$(XDP_REFLECT_OBJ) $(XDP_PASS_OBJ)
ALL_TARGETS += $(XDP_REFLECT_OBJ)
TEST_DEPS += $(XDP_REFLECT_OBJ)
# make bench runs it through bench/compare.sh; make bench-xdp alone.
.PHONY: bench-xdp
bench-xdp: $(XDP_BENCH_DEPS)
	bpf/bench_xdp.sh
