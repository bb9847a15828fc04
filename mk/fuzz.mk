# Included by the Makefile: fuzzing (README, "Reliability").  `make
# fuzz` runs every target for FUZZ_SECONDS; `make check` builds them and
# tests/run runs each briefly.

.PHONY: fuzz

# libFuzzer: clang, its own object tree, the same sources.
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
