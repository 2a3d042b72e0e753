# tools/stunctl.mk - stunctl, the XDP fast path's control tool.  The
# loader it links (bpf/xdp_loader.c, bpf/xdp_config.c) and the skeleton are
# built by bpf/xdp.mk; the end-to-end tests are tests/bpf/test_xdp_e2e.sh and
# tests/e2e/test_stunctl_netns.sh (every step its own ip netns exec).

STUNCTL_OBJS := $(BUILD)/obj/tools/stunctl.o

$(STUNCTL_OBJS): CPPFLAGS += -Ibpf -I$(BUILD)/bpf
$(STUNCTL_OBJS): | $(XDP_SKEL)

$(BUILD)/stunctl: $(STUNCTL_OBJS) $(XDP_LOADER_OBJS) $(CLI_LIB) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(XDP_LDLIBS)

ALL_TARGETS += $(BUILD)/stunctl
INSTALL_BINS += $(BUILD)/stunctl
TEST_DEPS += $(BUILD)/stunctl $(BUILD)/stun_xdp_client $(XDP_PASS_OBJ)
TEST_PROGS += tests/bpf/test_xdp_e2e.sh tests/e2e/test_stunctl_netns.sh \
	tests/e2e/stunctl_cli.sh

-include $(STUNCTL_OBJS:.o=.d)
