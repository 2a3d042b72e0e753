#!/usr/bin/env bash
# tests/e2e/test_deb.sh - the Debian packages that make deb builds, as an
# operator receives it: lintian finds no error; unpacked into a throwaway
# root it holds the binaries (stunringd, stunctl and stunring-announce in
# /usr/sbin), the hardened unit and the sysusers file for dh_installsystemd
# and dh_installsysusers, the example config as a conffile, the man pages,
# the anycast examples (announcer unit, BIRD templates),
# libstunring's headers, library and stunring.pc (a program builds against
# them), libstunring.so.0 in libstunring0 and the Python package in
# python3-stunring (it serves and asks over the unpacked library); the
# unpacked stunringd runs and answers on loopback with the packaged
# config's keys.  Installing it into a booted Debian with apt is
# make test-system's job (tests/system/).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
VERSION=$(sed -n 's/^#define STUNRING_VERSION "\(.*\)"/\1/p' src/stunring.h)
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
DEB=$BUILD/stunring_${VERSION}_${ARCH}.deb
LIBDEB=$BUILD/libstunring0_${VERSION}_${ARCH}.deb
PYDEB=$BUILD/python3-stunring_${VERSION}_all.deb
need_tools "Debian package" dpkg-deb lintian pkg-config cc systemd-analyze
need_built "$CLIENT"
for d in "$DEB" "$LIBDEB" "$PYDEB"; do
	if [ ! -e "$d" ]; then
		not_ok "$d built (make deb)"
		finish
	fi
done

lintian --tag-display-limit 0 "$DEB" "$LIBDEB" "$PYDEB" >"$TMP/lintian" 2>/dev/null
show "$TMP/lintian"
check "lintian: no error" bash -c "! grep -q '^E:' $TMP/lintian"
check "lintian: no warning (README lists any kept, with the reason)" bash -c "! grep -q '^W:' $TMP/lintian"

ROOT=$TMP/root
dpkg-deb -x "$DEB" "$ROOT"
dpkg-deb -x "$LIBDEB" "$ROOT"
dpkg-deb -x "$PYDEB" "$ROOT"
dpkg-deb -e "$DEB" "$TMP/control"
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
missing=""
for f in usr/sbin/stunringd usr/sbin/stunctl usr/sbin/stunring-announce usr/bin/stunprobe usr/bin/stunload \
	usr/bin/stun-reflector etc/stunring/stunringd.conf \
	lib/systemd/system/stunringd.service usr/lib/sysusers.d/stunring.conf \
	usr/share/man/man8/stunringd.8.gz usr/share/man/man5/stunringd.conf.5.gz \
	usr/share/man/man8/stunctl.8.gz usr/share/man/man8/stunring-announce.8.gz \
	usr/share/man/man1/stunprobe.1.gz \
	usr/share/man/man1/stunload.1.gz usr/include/stunring/stunring.h \
	usr/include/stunring/stun_wire.h "usr/lib/$MA/libstunring.a" \
	"usr/lib/$MA/pkgconfig/stunring.pc" usr/share/doc/stunring/copyright \
	usr/share/doc/stunring/examples/stunring-announce.service \
	usr/share/doc/stunring/examples/anycast/bird-node.conf \
	"usr/lib/$MA/libstunring.so.0" "usr/lib/$MA/libstunring.so" usr/include/stunring/stunring_server.h \
	usr/lib/python3/dist-packages/stunring/__init__.py; do
	[ -e "$ROOT/$f" ] || missing="$missing $f"
done
check "every file where it belongs${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "the example config is a conffile" grep -qx /etc/stunring/stunringd.conf "$TMP/control/conffiles"
check "the maintainer scripts enable the unit and create the user" bash -c \
	"grep -q 'deb-systemd-helper' $TMP/control/postinst && grep -q 'systemd-sysusers' $TMP/control/postinst"
check "the unit runs the packaged binary" grep -q '^ExecStart=/usr/sbin/stunringd ' \
	"$ROOT/lib/systemd/system/stunringd.service"

"$ROOT/usr/sbin/stunringd" --version >"$TMP/version" 2>&1
check "the packaged stunringd --version says $VERSION" grep -qx "stunringd $VERSION" "$TMP/version"
check "its man pages render (mandoc/man)" bash -c \
	"zcat $ROOT/usr/share/man/man8/stunringd.8.gz | grep -q '^\.TH \"*STUNRINGD\"* \"*8'"
check "the packaged config passes --check-config" \
	"$ROOT/usr/sbin/stunringd" --check-config --config "$ROOT/etc/stunring/stunringd.conf"

# A program built against the package's headers, library and .pc file.
cat >"$TMP/use.c" <<'EOF'
#include <stdio.h>
#include <stunring.h>
int main(void)
{
	struct stun_addr a;
	char text[STUN_ADDR_STRLEN];
	if (stun_addr_parse(&a, "[2001:db8::1]:3478", 3478))
		return 1;
	stun_addr_format(&a, text, sizeof(text));
	puts(text);
	return 0;
}
EOF
sed "s|^prefix=.*|prefix=$ROOT/usr|; s|^libdir=.*|libdir=$ROOT/usr/lib/$MA|" \
	"$ROOT/usr/lib/$MA/pkgconfig/stunring.pc" >"$TMP/stunring.pc"
# shellcheck disable=SC2046
cc -o "$TMP/use" "$TMP/use.c" $(PKG_CONFIG_PATH=$TMP pkg-config --cflags --libs stunring) \
	>"$TMP/cc.log" 2>&1
show "$TMP/cc.log"
# It links libstunring.so.0 (libstunring0), found where it was unpacked.
check "a program builds against the packaged headers and library (pkg-config)" bash -c \
	"[ \"\$(LD_LIBRARY_PATH=$ROOT/usr/lib/$MA $TMP/use)\" = '[2001:db8::1]:3478' ]"

# libstunring0: its SONAME and shlibs; the Python package over the
# unpacked library, serving and asking itself on loopback.
check "libstunring0 holds libstunring.so.0 with SONAME libstunring.so.0 and a shlibs file" bash -c \
	"readelf -d $ROOT/usr/lib/$MA/libstunring.so.0 | grep -q 'SONAME.*libstunring.so.0' &&
	 dpkg-deb -e $LIBDEB $TMP/libcontrol && grep -q '^libstunring 0 libstunring0' $TMP/libcontrol/shlibs"
PY=/usr/bin/python3
out=$(STUNRING_LIB=$ROOT/usr/lib/$MA/libstunring.so.0 PYTHONPATH=$ROOT/usr/lib/python3/dist-packages \
	"$PY" -c 'import stunring
with stunring.serve("127.0.0.1", 0, software="packaged") as s:
    a = stunring.mapped_address("127.0.0.1:%d" % s.port, timeout=1)
    print(stunring.__file__.split("/dist-packages/")[0].endswith("/usr/lib/python3"), a.ip, a.software)' 2>&1)
check_eq "python3-stunring serves and asks over the packaged libstunring0" "$out" "True 127.0.0.1 packaged"

# The unpacked daemon serves with a copy of the packaged config (its
# metrics port and listen address moved to free loopback ports).
ports=($(free_pair 127.0.0.1))
sed "s|^metrics = .*|metrics = 127.0.0.1:0|" "$ROOT/etc/stunring/stunringd.conf" >"$TMP/pkg.conf"
echo "listen = 127.0.0.1:${ports[0]}" >>"$TMP/pkg.conf"
DAEMON=$ROOT/usr/sbin/stunringd start_daemon pkg -- --config "$TMP/pkg.conf"
check "the packaged daemon answers on loopback" bash -c \
	"$CLIENT once --server 127.0.0.1:${ports[0]} | grep -q 'status=ok mapped_ok=1'"
stop_daemon
check "and stops cleanly" [ "$DRC" -eq 0 ]
finish
