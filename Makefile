# GNU Make.  `make` builds bin/server and bin/client; `make check` sets up,
# builds everything under AddressSanitizer and UBSan and runs every test;
# `make run` sets up, builds and serves ./files on port 10000.

# Packaging, fuzzing and analysis are in mk/ (included at the end).

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
# from libxxhash and SHA-256 from nettle, and TLS 1.3 from OpenSSL under
# conn.c (README, "Dependencies").  The client: libedit.  The unit and
# integration tests: Check.
PKG_CFLAGS = $(call pkg,--cflags,libbsd-overlay,libbsd-dev) \
	   $(call pkg,--cflags,libxxhash nettle,libxxhash-dev nettle-dev) \
	   $(call pkg,--cflags,openssl,libssl-dev)
PKG_LIBS_BSD = $(call pkg,--libs,libbsd-overlay,libbsd-dev)
PKG_LIBS_PROTO = $(call pkg,--libs,libxxhash nettle,libxxhash-dev nettle-dev) \
	   $(call pkg,--libs,openssl,libssl-dev)
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

# The product: every source in its folder, so that a new module needs no
# edit here.  server/main.c and client/main.c are the programs' main().
PROTOCOL_SRCS := $(sort $(wildcard protocol/*.c))
SERVER_SRCS := $(sort $(wildcard server/*.c))
CLIENT_SRCS := $(sort $(wildcard client/*.c))
LIBPROTOCOL := $(B)/libprotocol.a

# The tests: a Check suite per module of protocol/ (tests/protocol/),
# the suites built on the harness (tests/server/, tests/client/), and the
# test-only tools.
UNIT_SRCS := $(sort $(wildcard tests/protocol/check_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/protocol/%.c=$(B)/tests/%)
SUITE_SRCS := $(sort $(wildcard tests/server/check_*.c tests/client/check_*.c))
SUITE_BINS := $(addprefix $(B)/tests/,$(notdir $(SUITE_SRCS:.c=)))
TOOL_BINS := $(B)/tests/relay $(B)/tests/dialer $(B)/tests/delay \
	   $(B)/tests/tls_mitm
INTEGRATION_BINS := $(SUITE_BINS) $(TOOL_BINS) $(B)/tests/faults.so

# -V never prints a stale version: the objects that print it depend on a
# file that changes when the version does.
VERSION_STAMP := $(B)/version
$(shell mkdir -p $(B) && [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = \
	   '$(VERSION)' ] || echo '$(VERSION)' > $(VERSION_STAMP))

# Keep objects that chained rules would treat as intermediate.
.SECONDARY:

.PHONY: all clean check run setup setup-test test-build bench bigfile
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
$(BIN)/server: $(SERVER_SRCS:%.c=$(B)/%.o) $(LIBPROTOCOL)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_SECCOMP) \
	    $(PKG_LIBS_BSD)

$(BIN)/client: $(CLIENT_SRCS:%.c=$(B)/%.o) $(LIBPROTOCOL)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_EDIT) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(UNIT_BINS): $(B)/tests/%: $(B)/tests/protocol/%.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# Every suite of tests/server/ and tests/client/, by this one rule: its
# object, the harness and the codec (SUITE_LIBS: libraries of its own).
# Its object is found in either folder at the rule's second expansion.
suite_obj = $(patsubst %.c,$(B)/%.o,$(filter %/$(1).c,$(SUITE_SRCS)))
.SECONDEXPANSION:
$(SUITE_BINS): $(B)/tests/%: $$(call suite_obj,$$*) \
	    $(B)/tests/tools/harness.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) \
	    $(PKG_LIBS_BSD) $(SUITE_LIBS)

# What some suites link besides.  The server suites share their fixture;
# the PROXY decoder, the choice of making room, and the shell's words and
# patterns are tested alone.
$(filter $(B)/tests/check_server_%,$(SUITE_BINS)): $(B)/tests/server/fixture.o
$(B)/tests/server/check_proxy.o: CFLAGS += -Iserver
$(B)/tests/check_proxy: $(B)/server/proxy.o
$(B)/tests/server/check_slots.o: CFLAGS += -Iserver
$(B)/tests/check_slots: $(B)/server/room.o
$(B)/tests/client/check_shell.o: CFLAGS += -Iclient
$(B)/tests/check_shell: $(B)/client/words.o $(B)/client/pattern.o
$(B)/tests/check_shell: SUITE_LIBS := -lutil

# Test-only: the relay corrupts, cuts or stalls a session on purpose; the
# dialer opens the cluster test's sessions from a chosen source address;
# delay is a link with latency, a rate cap and a turn count; tls_mitm is
# a man in the middle with a TLS key of its own.  The relay and delay
# share their listening loop.
$(B)/tests/relay $(B)/tests/delay: $(B)/tests/tools/relay_common.o
$(TOOL_BINS): $(B)/tests/%: $(B)/tests/tools/%.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# Test-only: injected into the server with LD_PRELOAD, never installed.
$(B)/tests/%.so: tests/tools/%.c
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

BENCH_BINS := $(B)/tests/bench/ceiling $(B)/tests/bench/loadgen \
	      $(B)/tests/bench/maxrss

# The load generator and the bare server's client share their request.
$(B)/tests/bench/ceiling $(B)/tests/bench/loadgen: \
	    $(B)/tests/bench/exchange.o
$(B)/tests/bench/%: $(B)/tests/bench/%.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

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
	@$(MAKE) --no-print-directory all $(BENCH_BINS) $(B)/tests/relay \
	    $(B)/tests/delay
	@./scripts/bench

bigfile: setup
	@$(MAKE) --no-print-directory all
	@./scripts/bigfile

run: setup
	@$(MAKE) --no-print-directory all
	@mkdir -p $(RUN_DIR)
	./bin/server $(RUN_DIR) $(RUN_PORT)

clean:
	rm -rf build bin

include mk/fuzz.mk mk/lint.mk mk/package.mk

-include $(shell find build -name '*.d' 2>/dev/null)
