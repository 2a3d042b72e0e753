# src/build.mk - libstunring (the codec) and, later, the daemon.

LIB_SRCS := src/stun_addr.c src/stun_crc32.c src/stun_parse.c \
	    src/stun_encode.c src/stun_respond.c src/stun_client.c
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/obj/src/%.o)
LIB_SAN_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/san/src/%.o)
LIB := $(BUILD)/libstunring.a
LIB_SAN := $(BUILD)/san/libstunring.a
LIB_HDRS := src/stunring.h src/stun_wire.h src/stun_bytes.h

ALL_TARGETS += $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIB_SAN): $(LIB_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

-include $(LIB_OBJS:.o=.d) $(LIB_SAN_OBJS:.o=.d)
