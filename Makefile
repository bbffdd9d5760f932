# Install cardcheck for ops: binaries, systemd units, sysusers.d and tmpfiles.d files, and the documented
# configuration (kept if one exists). DESTDIR stages into a directory; PREFIX is where the binaries go.
#   make build                        # as yourself: release binaries (scripts/build-release)
#   sudo make install                 # /usr/local/bin, /etc/systemd/system, /etc/cardcheck
#   make install DESTDIR=/tmp/stage PREFIX=/usr
# `install` never builds: a build as root would leave root-owned files in .build and fetch packages as
# root. It installs what `make build` made, and says so when nothing is there.
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= $(SYSCONFDIR)/systemd/system
SYSUSERSDIR ?= $(SYSCONFDIR)/sysusers.d
TMPFILESDIR ?= $(SYSCONFDIR)/tmpfiles.d
BIN := $(shell scripts/build-release --show-bin-path 2>/dev/null)

.PHONY: build install test run
build:
	scripts/build-release --product cardcheckd
	scripts/build-release --product cardcheck

install:
	@test -x "$(BIN)/cardcheckd" -a -x "$(BIN)/cardcheck" || { \
	  echo "make install: no release binaries in $(BIN); run 'make build' first, as your own user" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/cardcheck
	install -m 0755 $(BIN)/cardcheckd $(BIN)/cardcheck $(DESTDIR)$(PREFIX)/bin/
	sed 's|/usr/local/bin/|$(PREFIX)/bin/|; s|/etc/cardcheck/|$(SYSCONFDIR)/cardcheck/|' systemd/cardcheckd.service > $(DESTDIR)$(UNITDIR)/cardcheckd.service
	install -m 0644 systemd/cardcheckd.socket $(DESTDIR)$(UNITDIR)/cardcheckd.socket
	install -m 0644 systemd/cardcheck.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/cardcheck.conf
	install -m 0644 systemd/cardcheck.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/cardcheck.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/cardcheck/cardcheckd.conf || \
	  $(BIN)/cardcheckd --socket /run/cardcheck/cardcheck.sock --documented-config \
	  > $(DESTDIR)$(SYSCONFDIR)/cardcheck/cardcheckd.conf
	@echo "installed; as root: systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload; systemctl enable --now cardcheckd.socket"

test:
	./scripts/test

run:
	./scripts/run
