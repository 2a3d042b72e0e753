# tools/tls_client.mk - the TLS client helper (tools/tls_client.c) that
# stunprobe --tls and stunload --transport tls share: one object, linked
# into both with OpenSSL.  libstunring itself never links OpenSSL.
#
# Read after bench/stunload.mk and tools/stunprobe.mk (sorted order):
# their prerequisites name $(BUILD)/obj/tools/tls_client.o directly, and
# $(TLS_CLIENT_LIBS) is only expanded in their recipes.

TLS_CLIENT_LIBS := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)
TLS_CLIENT_CFLAGS := $(shell pkg-config --cflags openssl 2>/dev/null)

$(BUILD)/obj/tools/tls_client.o $(BUILD)/obj/tools/stunprobe_stream.o \
$(BUILD)/obj/bench/stunload/engine_stream.o: CPPFLAGS += $(TLS_CLIENT_CFLAGS) -Itools

# OpenSSL 3 headers and libraries.
DEB_PKGS += libssl-dev

-include $(BUILD)/obj/tools/tls_client.d
