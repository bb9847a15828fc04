# Included by the Makefile: installing and packaging (README,
# "Installing").  `make install` and `make uninstall` under PREFIX and
# DESTDIR; `make dist` the source tarball; `make deb` the Debian package.
# tests/package/test_package.sh runs them all in `make check`.

PREFIX	?= /usr/local
DESTDIR	?=
# `make install` strips, as GNU's install-strip does; the Debian package
# installs unstripped and leaves stripping to dh_strip.
INSTALL	?= install
INSTALL_PROGRAM ?= $(INSTALL) -s -m 755
# Installed names: `server` and `client` are too common to put in a PATH
# (README, "Installing"); the build tree keeps bin/server and bin/client.
SERVER_NAME ?= fileserver
CLIENT_NAME ?= fileclient

.PHONY: install uninstall dist deb

# The man pages are installed under the programs' installed names.
upper = $(shell echo $(1) | tr a-z A-Z)
MAN_RENAME := -e 's/^\.Dt SERVER /.Dt $(call upper,$(SERVER_NAME)) /' \
	   -e 's/^\.Dt CLIENT /.Dt $(call upper,$(CLIENT_NAME)) /' \
	   -e 's/^\.Nm server$$/.Nm $(SERVER_NAME)/' \
	   -e 's/^\.Nm client$$/.Nm $(CLIENT_NAME)/' \
	   -e 's/^\.Xr server 1/.Xr $(SERVER_NAME) 1/' \
	   -e 's/^\.Xr client 1/.Xr $(CLIENT_NAME) 1/'
MAN1	:= $(DESTDIR)$(PREFIX)/share/man/man1

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(MAN1)
	$(INSTALL_PROGRAM) bin/server $(DESTDIR)$(PREFIX)/bin/$(SERVER_NAME)
	$(INSTALL_PROGRAM) bin/client $(DESTDIR)$(PREFIX)/bin/$(CLIENT_NAME)
	sed $(MAN_RENAME) server/server.1 > $(MAN1)/$(SERVER_NAME).1
	sed $(MAN_RENAME) client/client.1 > $(MAN1)/$(CLIENT_NAME).1
	chmod 644 $(MAN1)/$(SERVER_NAME).1 $(MAN1)/$(CLIENT_NAME).1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/$(SERVER_NAME) \
	    $(DESTDIR)$(PREFIX)/bin/$(CLIENT_NAME) \
	    $(MAN1)/$(SERVER_NAME).1 $(MAN1)/$(CLIENT_NAME).1

# build/fileserver-VERSION.tar.gz: the files git tracks, as they are in
# the work tree (outside a clone, such as an unpacked tarball: every file
# but build outputs), and a VERSION file, so that the tarball builds (and
# its package is versioned) with no git.  debian/changelog's first entry
# takes that version too.  Reproducible: sorted, owned by root, dated by
# HEAD (or the VERSION file).
DIST	:= fileserver-$(VERSION)
DIST_FILES := if [ -e .git ]; then git ls-files -z; else find . \( \
	   -path ./build -o -path ./bin -o -path ./$(RUN_DIR) -o \
	   -path ./debian/fileserver -o -path ./debian/.debhelper -o \
	   -path ./debian/files -o -name '*.substvars' -o \
	   -name '*.debhelper' -o -name '*.debhelper.log' -o \
	   -name debhelper-build-stamp \) -prune -o -type f -printf '%P\0'; fi
DIST_DATE := if [ -e .git ]; then git log -1 --format=%ct; else \
	   stat -c %Y VERSION; fi
dist:
	$(say) DIST build/$(DIST).tar.gz
	$(Q)rm -rf build/dist && mkdir -p build/dist/$(DIST)
	$(Q)($(DIST_FILES)) | xargs -0 cp -P --parents -t build/dist/$(DIST)
	$(Q)echo $(VERSION) > build/dist/$(DIST)/VERSION
	$(Q)sed -i '1s/([^)]*)/($(VERSION))/' build/dist/$(DIST)/debian/changelog
	$(Q)tar -C build/dist --sort=name --owner=0 --group=0 --numeric-owner \
	    --mtime=@$$($(DIST_DATE)) -czf build/$(DIST).tar.gz $(DIST)
	$(Q)rm -rf build/dist

# The Debian package, built from the dist tarball in build/deb (so the
# tree stays clean): build/deb/fileserver_VERSION_ARCH.deb.
deb: dist
	$(Q)rm -rf build/deb && mkdir -p build/deb
	$(Q)tar -C build/deb -xzf build/$(DIST).tar.gz
	$(say) DEB build/deb
	$(Q)cd build/deb/$(DIST) && dpkg-buildpackage -us -uc -b \
	    > ../build.log 2>&1 || { tail -30 ../build.log >&2; exit 1; }
	$(Q)ls build/deb/*.deb
