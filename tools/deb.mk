# tools/deb.mk - make deb: stunring_VERSION_ARCH.deb with debhelper (compat
# 13) from the packaging files in tools/dist/debian/, built in a clean copy
# of the tree under build/deb/, then checked by lintian.
#
#   make deb            build/stunring_$(VERSION)_$(DEB_ARCH).deb
#
# The unit (tools/dist/stunringd.service, its ExecStart moved to
# /usr/sbin) and tools/dist/stunringd.sysusers go in as
# debian/stunring.stunringd.service and debian/stunring.sysusers, for
# dh_installsystemd and dh_installsysusers.

DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_WORK := $(BUILD)/deb
DEB_TREE := $(DEB_WORK)/stunring-$(VERSION)
DEB_FILE := $(BUILD)/stunring_$(VERSION)_$(DEB_ARCH).deb
# libstunring.so.0 and the Python package, each in its own package.
DEB_LIB_FILE := $(BUILD)/libstunring0_$(VERSION)_$(DEB_ARCH).deb
DEB_PY_FILE := $(BUILD)/python3-stunring_$(VERSION)_all.deb
DEB_PKGS += debhelper dpkg-dev fakeroot lintian

# Rebuilt when a tracked file changes (make test checks the package too).
DEB_INPUTS := $(shell git ls-files 2>/dev/null)

.PHONY: deb deb-build
deb: deps
	@$(MAKE) --no-print-directory deb-build
deb-build: $(DEB_FILE)

$(DEB_FILE): $(DEB_INPUTS)
	rm -rf $(DEB_WORK)
	mkdir -p $(DEB_TREE)
	tar --exclude=./$(BUILD) --exclude=./.git -cf - . | tar -C $(DEB_TREE) -xf -
	cp -r tools/dist/debian $(DEB_TREE)/debian
	sed 's|/usr/local/bin/stunringd|/usr/sbin/stunringd|g' tools/dist/stunringd.service \
		>$(DEB_TREE)/debian/stunring.stunringd.service
	cp tools/dist/stunringd.sysusers $(DEB_TREE)/debian/stunring.sysusers
	printf 'stunring (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- stunring developers <stunring@example.org>  %s\n' \
		'$(VERSION)' '$(VERSION)' "$$(git log -1 --format=%aD 2>/dev/null || date -R)" \
		>$(DEB_TREE)/debian/changelog
	cd $(DEB_TREE) && dpkg-buildpackage -us -uc -b --no-sign >../build.log 2>&1 || \
		{ tail -n 40 ../build.log; exit 1; }
	mv $(DEB_WORK)/stunring_$(VERSION)_$(DEB_ARCH).deb $(DEB_FILE)
	mv $(DEB_WORK)/libstunring0_$(VERSION)_$(DEB_ARCH).deb $(DEB_LIB_FILE)
	mv $(DEB_WORK)/python3-stunring_$(VERSION)_all.deb $(DEB_PY_FILE)
	lintian --tag-display-limit 0 $(DEB_FILE) $(DEB_LIB_FILE) $(DEB_PY_FILE) | tee $(DEB_WORK)/lintian.txt
	@if grep -q '^E:' $(DEB_WORK)/lintian.txt; then \
		echo "make deb: lintian reports errors" >&2; exit 1; fi
	@echo "make deb: $(DEB_FILE)"

TEST_DEPS += $(DEB_FILE) $(BUILD)/e2e_stun_client
TEST_PROGS += tests/e2e/test_deb.sh
