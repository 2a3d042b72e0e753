# src/cli.mk - libstunring_cli, the command-line helpers every program
# shares (src/cli/cli.h): numbers with units, lists, CPUs, the error line.
# Kept apart from libstunring, the codec, which it uses for addresses:
# link it before $(LIB).  Included right after src/build.mk by the
# Makefile, so every directory's rules can name $(CLI_LIB).

CLI_SRCS := $(wildcard src/cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SAN_OBJS := $(CLI_SRCS:%.c=$(BUILD)/san/%.o)
CLI_LIB := $(BUILD)/libstunring_cli.a
CLI_LIB_SAN := $(BUILD)/san/libstunring_cli.a

ALL_TARGETS += $(CLI_LIB)

$(CLI_LIB): $(CLI_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(CLI_LIB_SAN): $(CLI_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Its unit test, plain and under ASan+UBSan.
CLI_TEST := $(BUILD)/tests/test_cli
CLI_TEST_SAN := $(BUILD)/san/tests/test_cli

$(CLI_TEST): tests/unit/test_cli.c $(CLI_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $^ -lcmocka -lpthread -o $@

$(CLI_TEST_SAN): tests/unit/test_cli.c $(CLI_LIB_SAN) $(LIB_SAN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) $^ -lcmocka -lpthread -o $@

TEST_DEPS += $(CLI_TEST) $(CLI_TEST_SAN)
TEST_PROGS += $(CLI_TEST) $(CLI_TEST_SAN)

-include $(CLI_OBJS:.o=.d) $(CLI_SAN_OBJS:.o=.d)
