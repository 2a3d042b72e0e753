# tools/stunprobe.mk - stunprobe, the NAT discovery client (issue 6), its
# decision-logic unit test and its end-to-end tests.  The client itself is
# libstunring's (src/probe/): stunprobe is options and output around it.

STUNPROBE_SRCS := tools/stunprobe_main.c tools/stunprobe_opts.c \
		  tools/stunprobe_progress.c \
		  tools/stunprobe_behavior.c tools/stunprobe_classic.c \
		  tools/stunprobe_status.c tools/stunprobe_output.c \
		  tools/stunprobe_stream.c
STUNPROBE_OBJS := $(STUNPROBE_SRCS:%.c=$(BUILD)/obj/%.o)
STUNPROBE_TEST_DECIDE := $(BUILD)/tests/test_stunprobe_decide
STUNPROBE_TEST_DECIDE_SAN := $(BUILD)/san/tests/test_stunprobe_decide

# The pure parts and the tree driver, each with what it needs: timers alone,
# the chain with decide (its engine is replaced by the test).
STUNPROBE_UNITS := timers:src/probe/probe_timers.c \
		   chain:src/probe/probe_chain.c+src/probe/probe_decide.c
STUNPROBE_UNIT_NAMES := $(foreach u,$(STUNPROBE_UNITS),$(firstword $(subst :, ,$(u))))
STUNPROBE_UNIT_TESTS := $(STUNPROBE_UNIT_NAMES:%=$(BUILD)/tests/test_stunprobe_%) \
			$(STUNPROBE_UNIT_NAMES:%=$(BUILD)/san/tests/test_stunprobe_%)

ALL_TARGETS += $(BUILD)/stunprobe
INSTALL_BINS += $(BUILD)/stunprobe
TEST_DEPS += $(BUILD)/stunprobe $(STUNPROBE_TEST_DECIDE) $(STUNPROBE_TEST_DECIDE_SAN) \
	     $(STUNPROBE_UNIT_TESTS)
TEST_PROGS += $(STUNPROBE_TEST_DECIDE) $(STUNPROBE_TEST_DECIDE_SAN) \
	      $(STUNPROBE_UNIT_TESTS) \
	      tests/e2e/stunprobe_cli.sh \
	      tests/e2e/stunprobe_nat.sh \
	      tests/e2e/stunprobe_stream.sh
# coturn: RFC 5780 server and turnutils_natdiscovery; stun-server: stund
# (RFC 3489); nftables: the NAT variants; iproute2: netns and veth.
DEB_PKGS += coturn stun-server nftables iproute2 python3 libcmocka-dev
# --tcp/--tls tests: openssl makes their throw-away certificates, ss sees
# the servers listen (iproute2), tshark checks a capture.
DEB_PKGS += openssl tshark

$(STUNPROBE_OBJS): CPPFLAGS += -Itools

$(BUILD)/stunprobe: $(STUNPROBE_OBJS) $(BUILD)/obj/tools/tls_client.o $(CLI_LIB) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(TLS_CLIENT_LIBS)

$(BUILD)/obj/tests/unit/test_stunprobe_decide.o: CPPFLAGS += -Itools -Itests/unit
$(STUNPROBE_TEST_DECIDE): $(BUILD)/obj/tests/unit/test_stunprobe_decide.o \
			  $(BUILD)/obj/src/probe/probe_decide.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The same under ASan+UBSan (explicit: the generic tests/ pattern rule does
# not know about src/probe/probe_decide.c).
$(STUNPROBE_TEST_DECIDE_SAN): tests/unit/test_stunprobe_decide.c \
			      src/probe/probe_decide.c tools/stunprobe.h src/probe/probe.h $(LIB_SAN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itools -Itests/unit $(SAN_CFLAGS) \
		tests/unit/test_stunprobe_decide.c src/probe/probe_decide.c \
		$(LIB_SAN) -lcmocka -o $@

# test_stunprobe_NAME, plain and under ASan+UBSan, from its sources.
define STUNPROBE_UNIT_RULES
$(BUILD)/tests/test_stunprobe_$(1) $(BUILD)/san/tests/test_stunprobe_$(1): \
		tests/unit/test_stunprobe_$(1).c $(subst +, ,$(2)) tools/stunprobe.h src/probe/probe.h
$(BUILD)/tests/test_stunprobe_$(1): $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -Itools -Itests/unit $$(CFLAGS) \
		tests/unit/test_stunprobe_$(1).c $(subst +, ,$(2)) $$(LIB) -lcmocka -o $$@
$(BUILD)/san/tests/test_stunprobe_$(1): $(LIB_SAN)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -Itools -Itests/unit $$(SAN_CFLAGS) \
		tests/unit/test_stunprobe_$(1).c $(subst +, ,$(2)) $$(LIB_SAN) -lcmocka -o $$@
endef
$(foreach u,$(STUNPROBE_UNITS),$(eval $(call STUNPROBE_UNIT_RULES,$(word 1,$(subst :, ,$(u))),$(word 2,$(subst :, ,$(u))))))

-include $(STUNPROBE_OBJS:.o=.d) $(BUILD)/obj/tests/unit/test_stunprobe_decide.d
