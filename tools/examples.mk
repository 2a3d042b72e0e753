# tools/examples.mk - small programs that use libstunring the way an
# application does: against libstunring.so and the public headers alone
# (copied to build/examples/include, as make install lays them out).

EXAMPLES := $(BUILD)/examples/mapped_address $(BUILD)/examples/embed_server
EXAMPLE_HDRS := $(LIB_PUBLIC_HDRS:src/%=$(BUILD)/examples/include/%)
ALL_TARGETS += $(EXAMPLES) $(EXAMPLE_HDRS)
TEST_DEPS += $(EXAMPLES)
TEST_PROGS += tests/e2e/examples.sh

$(BUILD)/examples/include/%.h: src/%.h
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/examples/%: tools/examples/%.c $(SO_LINK) $(EXAMPLE_HDRS)
	$(CC) $(CFLAGS) -I$(BUILD)/examples/include -o $@ $< \
		-L$(BUILD) -lstunring -Wl,-rpath,'$$ORIGIN/..'

# The embedding example again, linked with the installed static library
# and the libraries stunring.pc names as private (Requires.private).
EMBED_STATIC := $(BUILD)/examples/embed_server_static
ALL_TARGETS += $(EMBED_STATIC)
TEST_DEPS += $(EMBED_STATIC)
$(EMBED_STATIC): tools/examples/embed_server.c $(LIB_STATIC) $(EXAMPLE_HDRS)
	$(CC) $(CFLAGS) -I$(BUILD)/examples/include -o $@ $< $(LIB_STATIC) \
		$(shell pkg-config --libs liburing libssl libcrypto 2>/dev/null || echo -luring -lssl -lcrypto) -lpthread
