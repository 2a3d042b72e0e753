# tests/system.mk - make test-system: the package under a real systemd in a
# systemd-nspawn container (tests/system/test_nspawn.sh).  Not part of
# make test: it debootstraps a Debian 12 tree (about 250 MB, cached per day
# under /var/tmp) from the machine's apt mirror and boots it, minutes the
# first time.  It builds the package first (make deb), and the host-side
# XDP client and stunctl for its --xdp phase.

DEB_PKGS += debootstrap systemd-container

.PHONY: test-system
test-system: deb $(BUILD)/stunctl $(BUILD)/stun_xdp_client
	@tests/run-tests.sh $(BUILD)/system-logs tests/system/test_nspawn.sh
