# hearth — build, test, bench.  `make run` and `make test` install what is
# missing (Debian packages) through `make deps` first.

CC       ?= cc
SAN      ?=
BUILD    ?= build
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS += -Iinclude -Ilib -D_GNU_SOURCE -I/usr/include/libxml2
LDLIBS   += -ldeflate -lisal -lz -lpcre2-8 -ljansson -lm -lpthread -ldw -lelf
# libcurl: URL sources and `hearth fetch` (lib/fetch.c).
LDLIBS   += -lcurl
# Graphviz as a library (call graphs as svg/pdf/png); the fallback names its
# libraries before `make deps` has installed the .pc files.
LDLIBS   += $(or $(shell pkg-config --libs libgvc 2>/dev/null),-lgvc -lcgraph -lcdt)
# capstone: disasm and weblist; libmicrohttpd: `hearth web` (server/).
LDLIBS   += -lcapstone -lmicrohttpd
# The service's store (lib/store/): SQLite, and OpenSSL's libcrypto for tokens.
LDLIBS   += -lsqlite3 -lcrypto -lxml2
# libpq: the shared store on PostgreSQL (lib/store/postgres.c).
CPPFLAGS += $(or $(shell pkg-config --cflags libpq 2>/dev/null),-I/usr/include/postgresql)
LDLIBS   += -lpq
# libyaml: hearth scrape's configuration (lib/collect/) and hearth serve's -config.
LDLIBS   += -lyaml -lresolv
# libedit: the pprof shell's line editing, history and completion (src/shell.c).
CLI_LIBS += -ledit

ifeq ($(SAN),1)
  BUILD   := build-san
  CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
endif
# Sums of sample values wrap around as Go's int64s do in pprof; -fwrapv makes
# that defined behaviour in C, not an overflow that UBSan stops on.
CFLAGS   += -fwrapv

DEB_PKGS = gcc make pkg-config libdeflate-dev libisal-dev zlib1g-dev libpcre2-dev libcmocka-dev \
           golang-go golang-github-google-pprof-dev python3 time clang libclang-rt-14-dev gzip \
           libjansson-dev libcurl4-openssl-dev hey socat libelf-dev libdw-dev \
           libgraphviz-dev libgvc6 libcgraph6 graphviz fonts-liberation2 poppler-utils valgrind \
           libcapstone-dev libmicrohttpd-dev chromium libgoogle-perftools-dev binutils \
           libsqlite3-dev sqlite3 libssl-dev libyaml-dev libpq-dev postgresql \
           libedit-dev tmux libxml2-dev ceph-mon ceph-osd radosgw ceph-common dnsmasq-base

LIB_SRC  = $(wildcard lib/*.c lib/report/*.c lib/ingest/*.c lib/store/*.c)
LIB_SRC += $(wildcard lib/collect/*.c)
LIB_SRC += $(wildcard lib/runtime/*.c)
LIB_SRC += $(wildcard lib/fleet/*.c)
CLI_SRC  = $(wildcard src/*.c src/cmd/*.c server/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/web_assets.o $(BUILD)/version.o
# The web UI's static files, embedded into the binary (server/embed.sh).
WEB_FILES = $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HEARTH   = $(BUILD)/hearth
SAMPLE   = tests/data/leaky.cpu.pb.gz

.PHONY: all deps run run-web test unit cli conformance bench soak fuzz fuzz-long clean format install FORCE

all: $(HEARTH)

# Node.js and npm come from Debian unless the machine has them already (a
# nodejs from elsewhere must not be replaced); the end-to-end tests' npm
# packages (playwright-core, axe-core) are installed from tests/e2e/package-lock.json
# (again when the lock names a package node_modules lacks).
deps:
	@./tests/deps.sh $(DEB_PKGS)
	@command -v npm >/dev/null 2>&1 || ./tests/deps.sh nodejs npm
	@if [ -f tests/e2e/package-lock.json ] && { [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; }; then \
		npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error; fi

$(BUILD)/libhearth.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(HEARTH): $(CLI_OBJ) $(BUILD)/libhearth.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libhearth.a $(LDLIBS) $(CLI_LIBS)

# The commit `hearth --version` names, rewritten only when it changes.
HEARTH_COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/version.c: FORCE
	@mkdir -p $(@D)
	@printf 'const char hearth_commit[] = "%s";\n' '$(HEARTH_COMMIT)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/version.o: $(BUILD)/version.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
FORCE:

# make install PREFIX=/usr/local DESTDIR=: the command, its man page and its
# bash completion.
PREFIX  ?= /usr/local
DESTDIR ?=
install: $(HEARTH)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(HEARTH) $(DESTDIR)$(PREFIX)/bin/hearth
	install -m 644 man/hearth.1 $(DESTDIR)$(PREFIX)/share/man/man1/hearth.1
	install -m 644 completion/hearth.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/hearth

$(BUILD)/web_assets.c: $(WEB_FILES) server/embed.sh
	@mkdir -p $(@D)
	./server/embed.sh $(WEB_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/web_assets.o: $(BUILD)/web_assets.c server/assets.h
	$(CC) $(CPPFLAGS) -Iserver $(CFLAGS) $(WARN) -c -o $@ $<

$(BUILD)/%.o: %.c $(wildcard include/hearth/*.h lib/*.h lib/report/*.h lib/ingest/*.h lib/store/*.h lib/collect/*.h lib/runtime/*.h lib/fleet/*.h src/*.h server/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libhearth.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(BUILD)/libhearth.a -lcmocka $(LDLIBS)

# The store's benchmark program (bench/run.sh runs it).
$(BUILD)/bench/store_bench: bench/store_bench.c $(BUILD)/libhearth.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(BUILD)/libhearth.a $(LDLIBS)

# `make run`: hearth serve on a fresh data directory (BUILD/run) with live
# data, the project's Go subject under load pushing its profiles every few
# seconds (server/run.sh); it prints the URL and the token to log in with.
run: deps $(HEARTH)
	./server/run.sh $(HEARTH) $(BUILD)/run

# `make run-web`: hearth web on the sample profile.  Its program is
# ../shared/subjects/leaky: its sources, when they are there, make the UI's
# source view show them.
run-web: deps $(HEARTH)
	$(HEARTH) web $(if $(wildcard ../shared/subjects/leaky),-source_path=../shared/subjects) $(SAMPLE)

# Every suite prints its own "N passed, M failed"; tests/run.sh adds them up
# into the last line.
# The build takes both cores whatever -j make was given (CI runs plain
# `make test`).
test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) $(HEARTH) $(UNIT_BIN)
	@./tests/run.sh $(BUILD)

bench: deps $(HEARTH) $(BUILD)/bench/store_bench
	@./bench/run.sh $(HEARTH)

# `make soak`: hearth scrape across a ten-minute outage of the server
# (bench/soak.sh, about 17 minutes; not part of make test).
soak: deps $(HEARTH)
	@./bench/soak.sh $(BUILD)

fuzz: deps
	@$(MAKE) --no-print-directory -f tests/fuzz/Makefile fuzz-build

fuzz-long: fuzz
	@./tests/fuzz/run.sh long

format:
	clang-format -i include/hearth/*.h lib/*.c lib/*.h lib/report/*.c lib/ingest/*.c lib/ingest/*.h lib/store/*.c lib/store/*.h lib/runtime/*.c lib/fleet/*.c lib/fleet/*.h src/*.c src/*.h src/cmd/*.c server/*.c server/*.h

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
