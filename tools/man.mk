# tools/man.mk - the man pages: scdoc sources in tools/man/NAME.N.scd,
# built into build/man/NAME.N by make, installed under
# $(MANDIR)/manN/ by make install (install-man), checked by
# tests/e2e/test_man_pages.sh (every --help option in its page, mandoc
# lint clean).

MANDIR ?= $(PREFIX)/share/man
MAN_SRCS := $(wildcard tools/man/*.scd)
MAN_PAGES := $(MAN_SRCS:tools/man/%.scd=$(BUILD)/man/%)

# scdoc's roff, less the paragraph macros it puts where they do nothing
# (tidy.awk); dated by the source (SOURCE_DATE_EPOCH), not by the build.
$(BUILD)/man/%: tools/man/%.scd tools/man/tidy.awk
	@mkdir -p $(@D)
	SOURCE_DATE_EPOCH=$$(stat -c %Y $<) scdoc <$< >$@.roff
	awk -f tools/man/tidy.awk $@.roff >$@.tmp && rm $@.roff && mv $@.tmp $@

.PHONY: install-man
install-man: $(MAN_PAGES)
	$(foreach s,$(sort $(subst .,,$(suffix $(MAN_PAGES)))),\
		install -d $(DESTDIR)$(MANDIR)/man$(s) && \
		install -m 644 $(filter %.$(s),$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man$(s)/;)

ALL_TARGETS += $(MAN_PAGES)
INSTALL_TARGETS += install-man
# The test runs every program's --help against its page.
TEST_DEPS += $(MAN_PAGES) $(BUILD)/stunringd $(BUILD)/stunctl $(BUILD)/stunprobe $(BUILD)/stunring-announce \
	     $(BUILD)/stunload $(BUILD)/stun-reflector
TEST_PROGS += tests/e2e/test_man_pages.sh
# scdoc builds the pages; mandoc lints them in the test.
DEB_PKGS += scdoc mandoc
