# GNU Make.  `make` builds bin/server and bin/client; `make check` sets up,
# builds everything under AddressSanitizer and UBSan and runs every test;
# `make run` sets up, builds and serves ./files on port 10000.

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
CC	?= cc
RUN_DIR	?= files
RUN_PORT ?= 10000

# From `git describe`, or the VERSION file of a `make dist` tarball
# (scripts/version; README, "Versions").  The package passes its own on
# the command line.
ifneq ($(origin VERSION),command line)
VERSION	:= $(shell ./scripts/version)
endif

# One short line per step; `make V=1` shows the commands.
ifeq ($(V),1)
Q	:=
say	:= @true
else
Q	:= @
say	:= @printf '  %-6s %s\n'
endif

# `make SAN=1` is the test build: its own object tree, so both coexist.
ifeq ($(SAN),1)
B	:= build/san
OPT	:= -O1 -g -fno-omit-frame-pointer \
	   -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -DFS_TEST_HOOKS
else
B	:= build/rel
OPT	:= -O2 -g -D_FORTIFY_SOURCE=2
endif
BIN	:= $(if $(filter 1,$(SAN)),$(B)/bin,bin)

# Flags from pkg-config, each program asking only for its own libraries,
# so that `make` needs no test library.  $(call pkg,FLAGS,MODULES,DEBIAN
# PACKAGES): evaluated when a recipe uses it (so that `make check` can
# install them first); a module that is missing stops the build with one
# line naming the package to install.
PKG_CONFIG ?= pkg-config
pkg = $(call pkg_or_stop,$(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null || \
	   echo PKG-MISSING),$(2),$(3))
pkg_or_stop = $(if $(filter PKG-MISSING,$(1)),$(error $(if \
	   $(shell command -v $(PKG_CONFIG) 2>/dev/null),pkg-config finds \
	   no $(2): apt-get install $(3),no $(PKG_CONFIG): apt-get install \
	   pkg-config) (or run scripts/setup)),$(1))
# Everyone: libbsd.  protocol/: the digests of protocol.md section 6, XXH3
# from libxxhash and SHA-256 from nettle (README, "Dependencies").  The
# client: libedit.  The unit and integration tests: Check.
PKG_CFLAGS = $(call pkg,--cflags,libbsd-overlay,libbsd-dev) \
	   $(call pkg,--cflags,libxxhash nettle,libxxhash-dev nettle-dev)
PKG_LIBS_BSD = $(call pkg,--libs,libbsd-overlay,libbsd-dev)
PKG_LIBS_PROTO = $(call pkg,--libs,libxxhash nettle,libxxhash-dev nettle-dev)
PKG_LIBS_EDIT = $(call pkg,--libs,libedit,libedit-dev)
# The server's children: their system-call filter (server/syscall_filter.c).
PKG_LIBS_SECCOMP = $(call pkg,--libs,libseccomp,libseccomp-dev)
PKG_LIBS_CHECK = $(call pkg,--libs,check,check)
# Objects of the client and the tests add their own (pattern-specific).
CLIENT_PKG_CFLAGS = $(call pkg,--cflags,libedit,libedit-dev)
TEST_PKG_CFLAGS = $(call pkg,--cflags,check,check)

WARN	:= -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wcast-qual -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	   -Wwrite-strings -Wnull-dereference -Wimplicit-fallthrough
HARDEN	:= -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS	?=
CFLAGS	+= -std=c11 -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS \
	   -DVERSION='"$(VERSION)"' $(OPT) $(WARN) $(HARDEN) \
	   -Iprotocol -Itests/protocol -Itests/tools -MMD -MP
LDFLAGS	+= -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack \
	   $(filter -fsanitize%,$(OPT))

PROTOCOL_SRCS := protocol/packet.c protocol/path.c protocol/options.c \
	   protocol/listing.c protocol/conn.c protocol/xfer.c \
	   protocol/text.c protocol/digest.c protocol/fdio.c
SERVER_SRCS := server/main.c server/config.c server/listener.c \
	   server/session.c server/jail.c server/serve_read.c \
	   server/serve_write.c server/serve_list.c server/log.c \
	   server/idle.c server/harden.c server/serve_mkdir.c server/proxy.c \
	   server/child.c server/spool.c server/testhook.c server/landlock.c \
	   server/syscall_filter.c server/handoff.c server/hashslot.c
CLIENT_SRCS := client/main.c client/args.c client/remote.c \
	   client/commands.c client/shell.c client/complete.c \
	   client/words.c client/progress.c \
	   client/localfile.c client/pattern.c
UNIT_TESTS := packet path text digest options listing conn xfer fdio
UNIT_BINS := $(UNIT_TESTS:%=$(B)/tests/check_%)
INTEGRATION_BINS := $(B)/tests/check_server $(B)/tests/check_shell \
	   $(B)/tests/check_faults $(B)/tests/check_load $(B)/tests/faults.so \
	   $(B)/tests/check_peers $(B)/tests/relay $(B)/tests/check_proxy \
	   $(B)/tests/check_scale $(B)/tests/dialer $(B)/tests/check_sandbox

LIBPROTOCOL := $(B)/libprotocol.a

# -V never prints a stale version: the objects that print it depend on a
# file that changes when the version does.
VERSION_STAMP := $(B)/version
$(shell mkdir -p $(B) && [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = \
	   '$(VERSION)' ] || echo '$(VERSION)' > $(VERSION_STAMP))

# Keep objects that chained rules would treat as intermediate.
.SECONDARY:

.PHONY: all clean install uninstall check run setup setup-test test-build \
	bench fuzz lint valgrind bigfile dist deb
all: $(BIN)/server $(BIN)/client

$(B)/server/config.o $(B)/client/args.o: $(VERSION_STAMP)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(B)/client/%.o: PKG_CFLAGS += $(CLIENT_PKG_CFLAGS)
$(B)/tests/%.o: PKG_CFLAGS += $(TEST_PKG_CFLAGS)
# The benchmark's tools need no Check (`make bench` sets up the run list).
$(B)/tests/bench/%.o: TEST_PKG_CFLAGS =

$(LIBPROTOCOL): $(PROTOCOL_SRCS:%.c=$(B)/%.o)
	$(say) AR $@
	$(Q)$(AR) rcs $@ $^

# Both builds link dynamically, as Debian's servers do, so that libc's
# security updates reach the server and name-service look-ups (getpwnam
# for -u) load their NSS modules safely (issue 14; README, "Choices").
SERVER_OBJS := $(SERVER_SRCS:%.c=$(B)/%.o) $(LIBPROTOCOL)
$(BIN)/server: $(SERVER_OBJS)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_SECCOMP) \
	    $(PKG_LIBS_BSD)

$(BIN)/client: $(CLIENT_SRCS:%.c=$(B)/%.o) $(LIBPROTOCOL)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_EDIT) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(B)/tests/check_%: $(B)/tests/protocol/check_%.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(B)/tests/check_server: $(B)/tests/server/check_server.o \
	    $(B)/tests/tools/harness.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(B)/tests/check_faults: $(B)/tests/server/check_faults.o \
	    $(B)/tests/tools/harness.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(B)/tests/check_sandbox: $(B)/tests/server/check_sandbox.o \
	    $(B)/tests/tools/harness.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(B)/tests/check_load: $(B)/tests/server/check_load.o \
	    $(B)/tests/tools/harness.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# The PROXY decoder's unit suite: a server module, tested alone.
$(B)/tests/server/check_proxy.o: CFLAGS += -Iserver
$(B)/tests/check_proxy: $(B)/tests/server/check_proxy.o \
	    $(B)/server/proxy.o
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_BSD)

$(B)/tests/check_scale: $(B)/tests/server/check_scale.o \
	    $(B)/tests/tools/harness.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# The cluster test's client: sessions from a chosen source address.
$(B)/tests/dialer: $(B)/tests/tools/dialer.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# Test-only: injected into the server with LD_PRELOAD, never installed.
$(B)/tests/%.so: tests/tools/%.c
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

$(B)/tests/check_peers: $(B)/tests/client/check_peers.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# Test-only: a relay that corrupts, cuts or stalls a session on purpose.
$(B)/tests/relay: $(B)/tests/tools/relay.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(B)/tests/client/check_shell.o: CFLAGS += -Iclient
$(B)/tests/check_shell: $(B)/tests/client/check_shell.o \
	    $(B)/tests/tools/harness.o $(B)/client/words.o \
	    $(B)/client/pattern.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD) -lutil

BENCH_BINS := $(B)/tests/bench/ceiling $(B)/tests/bench/loadgen \
	      $(B)/tests/bench/maxrss

# The load generator and the bare server's client share their request.
$(B)/tests/bench/ceiling $(B)/tests/bench/loadgen: \
	    $(B)/tests/bench/exchange.o
$(B)/tests/bench/%: $(B)/tests/bench/%.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# Fuzzing (libFuzzer): clang, its own object tree, the same sources.
FUZZ_CC	?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= -1
FZ	:= build/fuzz
FUZZ_TARGETS := packet options path listing session proxy
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FZ)/fuzz_%)
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS \
	   -DVERSION='"$(VERSION)"' -g -O1 -fno-omit-frame-pointer \
	   -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-sanitize-recover=all $(WARN) -Iprotocol -Iserver -MMD -MP \
	   $(call pkg,--cflags,libbsd-overlay,libbsd-dev)
FUZZ_PROTOCOL_OBJS := $(PROTOCOL_SRCS:%.c=$(FZ)/%.o)
FUZZ_SERVER_OBJS := $(filter-out $(FZ)/server/main.o,\
	   $(SERVER_SRCS:%.c=$(FZ)/%.o))

$(FZ)/%.o: %.c
	@mkdir -p $(@D)
	$(say) FUZZCC $<
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FZ)/fuzz_session: $(FZ)/tests/fuzz/fuzz_session.o $(FUZZ_SERVER_OBJS) \
	    $(FUZZ_PROTOCOL_OBJS)
	$(say) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
	    $(PKG_LIBS_PROTO) $(PKG_LIBS_SECCOMP) $(PKG_LIBS_BSD)

$(FZ)/fuzz_proxy: $(FZ)/tests/fuzz/fuzz_proxy.o $(FZ)/server/proxy.o
	$(say) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^

$(FZ)/fuzz_%: $(FZ)/tests/fuzz/fuzz_%.o $(FUZZ_PROTOCOL_OBJS)
	$(say) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
	    $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# Each target for FUZZ_SECONDS (or FUZZ_RUNS executions) on a scratch
# copy of its seed corpus.
fuzz: setup-test
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@FUZZ_RUNS=$(FUZZ_RUNS) ./tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Static analysis: cppcheck and clang-tidy over every project source.
LINT_SRCS := $(PROTOCOL_SRCS) $(SERVER_SRCS) $(CLIENT_SRCS)
lint: setup-test
	cppcheck --quiet --error-exitcode=1 --inline-suppr \
	    --enable=warning,performance,portability --std=c11 \
	    --suppress=missingIncludeSystem -D__linux__ -D_GNU_SOURCE \
	    -Iprotocol -Iserver -Iclient $(LINT_SRCS)
	clang-tidy --quiet $(LINT_SRCS) -- -std=c11 -D_GNU_SOURCE \
	    -DLIBBSD_OPENBSD_VIS -DVERSION='"$(VERSION)"' -Iprotocol \
	    -Iserver -Iclient $(PKG_CFLAGS) $(CLIENT_PKG_CFLAGS)

# Memory checking of the release build: the unit suites and one
# end-to-end run, under valgrind memcheck.
valgrind: setup-test
	@$(MAKE) --no-print-directory test-build build/rel/tests/openat2_shim.so
	@./tests/valgrind

# What building and running need (`make run`); the test tools besides
# for the test targets (scripts/setup says which is which).
setup:
	@./scripts/setup
setup-test:
	@./scripts/setup test

test-build: all $(UNIT_BINS) $(INTEGRATION_BINS)

check: setup-test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SAN=1 test-build
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@./tests/run build/san

bench: setup
	@$(MAKE) --no-print-directory all $(BENCH_BINS) $(B)/tests/relay
	@./scripts/bench

bigfile: setup
	@$(MAKE) --no-print-directory all
	@./scripts/bigfile

run: setup
	@$(MAKE) --no-print-directory all
	@mkdir -p $(RUN_DIR)
	./bin/server $(RUN_DIR) $(RUN_PORT)

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

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
