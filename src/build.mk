# src/build.mk - libstunring: the codec (src/stun_*.c) and the STUN client
# (src/probe/, stunring_probe.h), as libstunring.a and as libstunring.so.0,
# which exports the public API only (src/libstunring.map).

CODEC_SRCS := src/stun_addr.c src/stun_crc32.c src/stun_parse.c \
	    src/stun_encode.c src/stun_respond.c src/stun_client.c
PROBE_LIB_SRCS := src/probe/probe_sock.c src/probe/probe_timers.c \
		  src/probe/probe_txn.c src/probe/probe_chain.c \
		  src/probe/probe_decide.c src/probe/probe_status.c \
		  src/probe/probe_behavior.c src/probe/probe_classic.c \
		  src/probe/probe_resolve.c src/probe/stunring_probe.c
LIB_SRCS := $(CODEC_SRCS) $(PROBE_LIB_SRCS)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/obj/src/%.o)
LIB_SAN_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/san/src/%.o)
LIB := $(BUILD)/libstunring.a
LIB_SAN := $(BUILD)/san/libstunring.a
LIB_HDRS := src/stunring.h src/stun_wire.h src/stun_bytes.h
# What make install puts under include/stunring/.
LIB_PUBLIC_HDRS := src/stunring.h src/stun_wire.h src/stunring_probe.h \
		   src/stunring_server.h

# The shared library: position-independent objects of the same sources.
SO_NAME := libstunring.so.0
SO := $(BUILD)/$(SO_NAME)
SO_LINK := $(BUILD)/libstunring.so
LIB_PIC_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/pic/src/%.o)

ALL_TARGETS += $(LIB) $(SO) $(SO_LINK)
TEST_DEPS += $(SO_LINK)
TEST_PROGS += tests/unit/check_lib_exports.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

# src/daemon.mk adds the embedded server's objects and SO_LIBS.
$(SO): $(LIB_PIC_OBJS) src/libstunring.map
	$(CC) $(CFLAGS) -shared -fPIC -Wl,-soname,$(SO_NAME) \
		-Wl,--version-script=src/libstunring.map -Wl,-z,defs \
		-o $@ $(filter %.o,$^) $(SO_LIBS)

$(SO_LINK): $(SO)
	ln -sf $(SO_NAME) $@

$(LIB_SAN): $(LIB_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

-include $(LIB_OBJS:.o=.d) $(LIB_SAN_OBJS:.o=.d) $(LIB_PIC_OBJS:.o=.d)
