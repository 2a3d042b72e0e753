# tools/announce.mk - stunring-announce, the anycast health checker and
# announcer (tools/announce_*.c), its state machine's unit test and the
# anycast lab (tests/e2e/test_anycast_cluster.sh: BIRD in namespaces).
# It links the daemon's logger (src/daemon/log.c: the same line format, and
# journald priorities under systemd) and libnl-route-3 for the addresses.

ANNOUNCE_SRCS := tools/announce_main.c tools/announce_state.c \
		 tools/announce_probe.c tools/announce_route.c
ANNOUNCE_OBJS := $(ANNOUNCE_SRCS:%.c=$(BUILD)/obj/%.o)
ANNOUNCE_LOG_OBJ := $(BUILD)/obj/src/daemon/log.o
NL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null || echo -I/usr/include/libnl3)
NL_LIBS := $(shell pkg-config --libs libnl-route-3.0 2>/dev/null || echo -lnl-route-3 -lnl-3)
ANNOUNCE_STATE_TEST := $(BUILD)/tests/test_announce_state
ANNOUNCE_STATE_TEST_SAN := $(BUILD)/san/tests/test_announce_state

$(ANNOUNCE_OBJS): CPPFLAGS += -Itools $(NL_CFLAGS)

$(BUILD)/stunring-announce: $(ANNOUNCE_OBJS) $(ANNOUNCE_LOG_OBJ) $(CLI_LIB) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS)

$(ANNOUNCE_STATE_TEST): tests/unit/test_announce_state.c tools/announce_state.c \
			tools/announce.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itools $(CFLAGS) tests/unit/test_announce_state.c \
		tools/announce_state.c -lcmocka -o $@
$(ANNOUNCE_STATE_TEST_SAN): tests/unit/test_announce_state.c tools/announce_state.c \
			    tools/announce.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itools $(SAN_CFLAGS) tests/unit/test_announce_state.c \
		tools/announce_state.c -lcmocka -o $@

ALL_TARGETS += $(BUILD)/stunring-announce
INSTALL_BINS += $(BUILD)/stunring-announce
TEST_DEPS += $(BUILD)/stunring-announce $(ANNOUNCE_STATE_TEST) $(ANNOUNCE_STATE_TEST_SAN)
TEST_PROGS += $(ANNOUNCE_STATE_TEST) $(ANNOUNCE_STATE_TEST_SAN)
DEB_PKGS += libnl-route-3-dev

# The lab: BIRD 2 in namespaces, nftables for the NAT in front of the
# RFC 5780 check.  About a minute and a half on the loaded 2-core test
# machine, so it is part of make test.
TEST_DEPS += $(BUILD)/stunringd $(BUILD)/stunprobe $(BUILD)/e2e_stun_client
TEST_PROGS += tests/e2e/test_anycast_cluster.sh
DEB_PKGS += bird2 nftables

-include $(ANNOUNCE_OBJS:.o=.d)
