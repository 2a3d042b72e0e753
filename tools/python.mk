# tools/python.mk - the stunring Python package (tools/python/stunring/, over
# libstunring.so.0 with ctypes) and its pytest tests.
#
# make install puts it under PYTHONDIR (Debian's path for local packages);
# in a virtualenv: pip install --no-build-isolation tools/python.

PYTHONDIR ?= $(PREFIX)/lib/python3/dist-packages
PY_PKG_SRCS := tools/python/stunring/__init__.py tools/python/stunring/_lib.py \
	       tools/python/stunring/py.typed

INSTALL_TARGETS += install-python
TEST_DEPS += $(SO_LINK) $(BUILD)/stunprobe $(BUILD)/stunringd
TEST_PROGS += tests/e2e/python_stunring.sh tests/e2e/python_nat.sh
# pytest runs the tests; setuptools builds the package for pip.
DEB_PKGS += python3-pytest python3-setuptools

.PHONY: install-python
install-python:
	install -d $(DESTDIR)$(PYTHONDIR)/stunring
	install -m 644 $(PY_PKG_SRCS) $(DESTDIR)$(PYTHONDIR)/stunring/
