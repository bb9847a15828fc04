# GNU Make.  `make` builds bin/server and bin/client; `make check` sets up,
# builds everything under AddressSanitizer and UBSan and runs every test;
# `make run` sets up, builds and serves ./files on port 10000.

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
RUN_DIR	?= files
RUN_PORT ?= 10000

VERSION	:= 1.0.0

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
	   -fsanitize=address,undefined -fno-sanitize-recover=all
else
B	:= build/rel
OPT	:= -O2 -g -D_FORTIFY_SOURCE=2
endif
BIN	:= $(if $(filter 1,$(SAN)),$(B)/bin,bin)

# Evaluated when used, so that `make check` can install them first.
PKG_CFLAGS = $(shell pkg-config --cflags libbsd-overlay libedit check)
PKG_LIBS_BSD = $(shell pkg-config --libs libbsd-overlay)
# The digests of protocol.md section 6: XXH3 from libxxhash, SHA-256 from
# nettle (README, "Dependencies").
PKG_LIBS_PROTO = $(shell pkg-config --libs libxxhash nettle)
PKG_LIBS_EDIT = $(shell pkg-config --libs libedit)
PKG_LIBS_CHECK = $(shell pkg-config --libs check)

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
	   protocol/text.c protocol/digest.c
SERVER_SRCS := server/main.c server/config.c server/listener.c \
	   server/session.c server/jail.c server/serve_read.c \
	   server/serve_write.c server/serve_list.c server/log.c \
	   server/idle.c server/harden.c server/serve_mkdir.c server/proxy.c \
	   server/child.c server/spool.c
CLIENT_SRCS := client/main.c client/args.c client/remote.c \
	   client/commands.c client/shell.c client/progress.c \
	   client/localfile.c client/pattern.c
UNIT_TESTS := packet path text digest options listing conn xfer
UNIT_BINS := $(UNIT_TESTS:%=$(B)/tests/check_%)
INTEGRATION_BINS := $(B)/tests/check_server $(B)/tests/check_shell \
	   $(B)/tests/check_faults $(B)/tests/check_load $(B)/tests/faults.so \
	   $(B)/tests/check_peers $(B)/tests/relay $(B)/tests/check_proxy \
	   $(B)/tests/check_scale $(B)/tests/dialer

LIBPROTOCOL := $(B)/libprotocol.a

# Keep objects that chained rules would treat as intermediate.
.SECONDARY:

.PHONY: all clean install uninstall check run setup setup-test test-build \
	bench fuzz lint valgrind bigfile
all: $(BIN)/server $(BIN)/client

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

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
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

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

$(B)/tests/check_shell: $(B)/tests/client/check_shell.o \
	    $(B)/tests/tools/harness.o $(LIBPROTOCOL)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_CHECK) $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD) -lutil

BENCH_BINS := $(B)/tests/bench/ceiling $(B)/tests/bench/loadgen

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
	   $(shell pkg-config --cflags libbsd-overlay)
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
	    $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

$(FZ)/fuzz_proxy: $(FZ)/tests/fuzz/fuzz_proxy.o $(FZ)/server/proxy.o
	$(say) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^

$(FZ)/fuzz_%: $(FZ)/tests/fuzz/fuzz_%.o $(FUZZ_PROTOCOL_OBJS)
	$(say) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
	    $(PKG_LIBS_PROTO) $(PKG_LIBS_BSD)

# Each target for FUZZ_SECONDS (or FUZZ_RUNS executions) on a scratch
# copy of its seed corpus.
fuzz: setup
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@FUZZ_RUNS=$(FUZZ_RUNS) ./tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Static analysis: cppcheck and clang-tidy over every project source.
LINT_SRCS := $(PROTOCOL_SRCS) $(SERVER_SRCS) $(CLIENT_SRCS)
lint: setup
	cppcheck --quiet --error-exitcode=1 --inline-suppr \
	    --enable=warning,performance,portability --std=c11 \
	    --suppress=missingIncludeSystem -D__linux__ -D_GNU_SOURCE \
	    -Iprotocol -Iserver -Iclient $(LINT_SRCS)
	clang-tidy --quiet $(LINT_SRCS) -- -std=c11 -D_GNU_SOURCE \
	    -DLIBBSD_OPENBSD_VIS -DVERSION='"$(VERSION)"' -Iprotocol \
	    -Iserver -Iclient $(PKG_CFLAGS)

# Memory checking of the release build: the unit suites and one
# end-to-end run, under valgrind memcheck.
valgrind: setup
	@$(MAKE) --no-print-directory test-build build/rel/tests/openat2_shim.so
	@./tests/valgrind

setup:
	@./scripts/setup

# The tools only tests use, besides (scripts/setup --test).
setup-test:
	@./scripts/setup --test

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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 bin/server bin/client $(DESTDIR)$(PREFIX)/bin
	install -m 644 server/server.1 client/client.1 \
	    $(DESTDIR)$(PREFIX)/share/man/man1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/server $(DESTDIR)$(PREFIX)/bin/client \
	    $(DESTDIR)$(PREFIX)/share/man/man1/server.1 \
	    $(DESTDIR)$(PREFIX)/share/man/man1/client.1

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
