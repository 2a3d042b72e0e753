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
