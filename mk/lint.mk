# Included by the Makefile: analysis beyond the test suites.  `make lint`
# (cppcheck, clang-tidy, and scripts/house-check: include cycles, file and
# function lengths, the README's Layout) and `make valgrind` (memcheck over the
# release build; tests/valgrind).

.PHONY: lint valgrind

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
	./scripts/house-check

# Memory checking of the release build: the unit suites and one
# end-to-end run, under valgrind memcheck.
valgrind: setup-test
	@$(MAKE) --no-print-directory test-build build/rel/tests/openat2_shim.so
	@./tests/valgrind
