# Postern — build, run and test. `make run` and `make test` are the two commands of the README.
#
#   make              build build/posternd
#   make run          install missing packages, build, start posternd on 127.0.0.1:8080 (data in ./var/)
#   make test         build and run every test tier; ends with "N passed, N failed"
#   make bench        the benchmark of BENCHMARKS.md
#   make SANITIZE=address,undefined test    the same suite under ASan and UBSan
#   make install      posternd, postern, libpostern.a, its header and libpostern.pc under PREFIX (DESTDIR too)

CC       ?= cc
BUILD    ?= build$(if $(SANITIZE),-san)
SANITIZE ?=
PKGS     := libmicrohttpd jansson libsodium sqlite3 libcurl libpq

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
               -fno-strict-aliasing -fvisibility=hidden -pthread
# Include paths per part, so a part can include only the headers of the layers it is built on: the CLI sees the
# public API alone (curl's src/ and include/curl/), the library never a server header, the server never the
# library's. src/banned/ (banned.h, which every .c includes last) is in every one. An object gets the paths of
# the folder its source is in: src/cli/x.c (and the probes of tests/probe/cli/) get INC_cli.
INC_banned  := -Isrc/banned
INC_common  := -Isrc/common $(INC_banned)
INC_proto   := -Isrc/proto $(INC_common)
INC_lib     := -Iinclude -Isrc/lib $(INC_proto)
INC_server  := -Isrc/server -Isrc/server/store -Isrc/server/partner $(INC_proto)
# the server's two parts that stand apart, each in its folder: the storage layer (src/server/store/: the
# interface, the statement table, the operations and one driver per engine; of the rest of the server it uses
# error.h alone) and the partner platform (src/server/partner/: OAuth, its handlers and pages, reports, built
# like the rest of the server)
INC_store   := -Isrc/server/store -Isrc/server $(INC_proto)
INC_partner := $(INC_server)
INC_witness := -Isrc/witness $(INC_proto)
INC_cli     := -Iinclude $(INC_banned)
# the test programs see inside every part
INC_tests   := -Iinclude -Isrc/lib -Isrc/server -Isrc/server/store -Isrc/server/partner -Isrc/witness $(INC_proto)
ifneq ($(SANITIZE),)
CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS     += -fsanitize=$(SANITIZE)
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS     += $(CFLAGS_BASE) $(PKG_CFLAGS)
LDLIBS     += $(PKG_LIBS) -pthread -lm

COMMON_SRC := $(wildcard src/common/*.c)
SERVER_SRC := $(filter-out src/server/main.c,$(wildcard src/server/*.c)) $(wildcard src/server/store/*.c src/server/partner/*.c)
PROTO_SRC  := $(wildcard src/proto/*.c)
LIB_SRC    := $(wildcard src/lib/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
WITNESS_SRC := $(wildcard src/witness/*.c)
# the generic helpers and the pure E2EE protocol (src/proto/): linked into posternd and libpostern alike
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o) $(PROTO_SRC:%.c=$(BUILD)/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
# the web client (web/), bundled and embedded into posternd: scripts/web_build.sh, scripts/web_embed.py
WEB_IN     := $(shell find web/src web/static -type f 2>/dev/null) $(wildcard web/package-lock.json)
WEB_OBJ    := $(BUILD)/web/assets.o
SERVER_OBJ += $(WEB_OBJ)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include

.PHONY: all deps run test unit integration bench clean fuzz soak install partner-web
all: $(BUILD)/posternd $(BUILD)/libpostern.a $(BUILD)/postern $(BUILD)/partner-demo $(BUILD)/postern-witness

deps:
	@sh scripts/deps.sh

# Each object depends on the headers it really includes: the compiler writes them to a .d file next to it
# (-MMD; -MP keeps a deleted header from breaking the build), read back below.
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) $(INC_$(notdir $(patsubst %/,%,$(dir $<)))) -MMD -MP -c $< -o $@

$(BUILD)/web/assets.c: $(WEB_IN) scripts/web_build.sh scripts/web_embed.py
	@echo "  WEB $@"
	@sh scripts/web_build.sh $(BUILD)/web

$(BUILD)/web/assets.o: $(BUILD)/web/assets.c src/server/webapp.h
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) $(INC_server) -c $< -o $@

$(BUILD)/posternd: $(BUILD)/src/server/main.o $(SERVER_OBJ) $(COMMON_OBJ)
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# libpostern: the client library (public headers in include/postern/), and the postern CLI built on it
# One relocatable object whose only global symbols are the public API (pst_*): the internals and the
# generic helpers it carries are made local, so nothing else is exported to a program that links it.
$(BUILD)/libpostern.a: $(LIB_OBJ) $(COMMON_OBJ)
	@echo "  AR  $@"
	@ld -r -o $(BUILD)/libpostern-all.o $^ && objcopy --localize-hidden $(BUILD)/libpostern-all.o $(BUILD)/libpostern.o
	@rm -f $@ && ar rcs $@ $(BUILD)/libpostern.o

# the CLI alone also draws QR codes (safety numbers) with libqrencode
$(BUILD)/postern: $(CLI_OBJ) $(BUILD)/libpostern.a
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS) $(CLI_OBJ) $(BUILD)/libpostern.a -o $@ $(LDLIBS) $(shell pkg-config --libs libqrencode 2>/dev/null)

# postern-witness: follows a server's transparency log and co-signs consistent checkpoints (docs/transparency.md)
$(BUILD)/postern-witness: $(WITNESS_SRC:%.c=$(BUILD)/%.o) $(COMMON_OBJ)
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# examples/partner-demo: a partner app on libpostern (plus libmicrohttpd for its loopback redirect)
$(BUILD)/partner-demo: examples/partner-demo/partner_demo.c $(BUILD)/libpostern.a Makefile
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(INC_cli) -MMD -MP $< $(BUILD)/libpostern.a -o $@ $(LDFLAGS) $(LDLIBS)

# (their .d files go in tests/.deps/, out of the way of scripts that run every tests/test_*)
$(BUILD)/tests/%: tests/unit/%.c $(SERVER_OBJ) $(COMMON_OBJ) $(LIB_OBJ) Makefile
	@mkdir -p $(dir $@) $(BUILD)/tests/.deps
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(INC_tests) -Itests/unit -MMD -MP -MF $(BUILD)/tests/.deps/$*.d $< $(SERVER_OBJ) $(LIB_OBJ) $(COMMON_OBJ) \
		-o $@ $(LDFLAGS) $(LDLIBS)

# test tools built from the library's internals (tests/tools/), for the integration tests
$(BUILD)/tools/%: tests/tools/%.c $(LIB_OBJ) $(COMMON_OBJ) Makefile
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(INC_lib) -MMD -MP $< $(LIB_OBJ) $(COMMON_OBJ) -o $@ $(LDFLAGS) $(LDLIBS)

# stmt: signs protocol-2 statements from arguments; needs only the protocol module and the generic helpers
$(BUILD)/tools/stmt: tests/tools/stmt.c $(COMMON_OBJ) Makefile
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(INC_proto) -MMD -MP $< $(COMMON_OBJ) -o $@ $(LDFLAGS) $(LDLIBS)

# proto_peer: the C side of the JavaScript protocol module's round-trip tests (tests/web/)
$(BUILD)/tools/proto_peer: tests/tools/proto_peer.c $(COMMON_OBJ) Makefile
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(INC_proto) -MMD -MP $< $(COMMON_OBJ) -o $@ $(LDFLAGS) $(LDLIBS)

# builds everything `make` builds, so the clients the README shows next are there too
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var
	./$(BUILD)/posternd --data-dir=./var --port=8080

test: deps
	@$(MAKE) --no-print-directory $(BUILD)/posternd $(BUILD)/libpostern.a $(BUILD)/postern $(BUILD)/partner-demo $(BUILD)/postern-witness $(UNIT_BIN) \
		$(BUILD)/tools/raw_send $(BUILD)/tools/stmt $(BUILD)/tools/proto_peer
	@SANITIZE=$(SANITIZE) sh scripts/test.sh $(BUILD)

# Tunes, a partner app in a browser page (examples/partner-web): its bundle, and how to start it
partner-web: deps
	@sh examples/partner-web/build.sh
	@echo "partner-web: built examples/partner-web/dist. With posternd running (make run), register the app once:"
	@echo "  ./$(BUILD)/posternd app create --data-dir ./var --public --name Tunes --redirect-uri http://127.0.0.1:8700/cb \\"
	@echo "      --scopes \"friends:read messages:send messages:read messages:delete\""
	@echo "then start it with the client_id printed:"
	@echo "  node examples/partner-web/server.mjs --port 8700 --client-id CLIENT_ID --postern http://127.0.0.1:8080"
	@echo "and open http://127.0.0.1:8700 (examples/partner-web/README.md tells the whole story)"

bench: deps $(BUILD)/posternd $(BUILD)/bench/tlog_bench
	@sh bench/run.sh $(BUILD)

# the transparency log at a million entries, with the server's own log code (BENCHMARKS.md)
$(BUILD)/bench/tlog_bench: bench/tlog_bench.c $(SERVER_OBJ) $(COMMON_OBJ) Makefile
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(INC_server) -MMD -MP $< $(SERVER_OBJ) $(COMMON_OBJ) -o $@ $(LDFLAGS) $(LDLIBS)

clean:
	rm -rf $(BUILD)

# The server, the CLI and the client library for app developers: `pkg-config --cflags --libs libpostern`
# gives what a program needs (libpostern.a is static, so the shared libraries it calls are in Requires).
install: all
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(LIBDIR)/pkgconfig" "$(DESTDIR)$(INCLUDEDIR)/postern"
	install -m 0755 $(BUILD)/posternd $(BUILD)/postern $(BUILD)/postern-witness "$(DESTDIR)$(BINDIR)/"
	install -m 0644 $(BUILD)/libpostern.a "$(DESTDIR)$(LIBDIR)/"
	install -m 0644 include/postern/postern.h "$(DESTDIR)$(INCLUDEDIR)/postern/"
	printf '%s\n' "prefix=$(PREFIX)" "libdir=$(patsubst $(PREFIX)%,\$${prefix}%,$(LIBDIR))" \
		"includedir=$(patsubst $(PREFIX)%,\$${prefix}%,$(INCLUDEDIR))" "" \
		"Name: libpostern" "Description: Postern client library (end-to-end encryption, partner apps)" \
		"Version: 0.1.0" "Requires: libsodium jansson libcurl" \
		"Cflags: -I\$${includedir}" "Libs: -L\$${libdir} -lpostern -pthread" \
		> "$(DESTDIR)$(LIBDIR)/pkgconfig/libpostern.pc"

# The long versions of what make test runs briefly: many kill -9 rounds during concurrent sends, and the
# fault-injection runs, over and over (SOAK_ROUNDS, default 25).
SOAK_ROUNDS ?= 25
soak: deps $(BUILD)/posternd
	POSTERN_CRASH_ROUNDS=$(SOAK_ROUNDS) POSTERND=$(BUILD)/posternd python3 tests/integration/run.py t13_crash
	@i=0; while [ $$i -lt $(SOAK_ROUNDS) ]; do POSTERND=$(BUILD)/posternd python3 tests/integration/run.py t22_faults | tail -n 1 || exit 1; i=$$((i + 1)); done

# libFuzzer targets (clang). `make fuzz` runs each for FUZZ_SECONDS (default 60); `make test` runs a short pass.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(COMMON_SRC) $(PROTO_SRC) $(filter-out src/server/main.c,$(SERVER_SRC)) $(BUILD)/web/assets.c
$(BUILD)/fuzz/fuzz_request_body: tests/fuzz/fuzz_request_body.c $(FUZZ_SRC) $(wildcard src/banned/*.h src/common/*.h src/proto/*.h src/server/*.h src/server/store/*.h src/server/partner/*.h)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(INC_server) $(PKG_CFLAGS) \
		$< $(FUZZ_SRC) -o $@ $(PKG_LIBS) -pthread -lm

$(BUILD)/fuzz/fuzz_envelope: tests/fuzz/fuzz_envelope.c $(PROTO_SRC) $(COMMON_SRC) $(wildcard src/banned/*.h src/proto/*.h src/common/*.h)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(INC_proto) $(PKG_CFLAGS) \
		$< $(PROTO_SRC) $(COMMON_SRC) -o $@ $(PKG_LIBS) -pthread -lm

fuzz: deps $(BUILD)/fuzz/fuzz_request_body $(BUILD)/fuzz/fuzz_envelope
	@mkdir -p $(BUILD)/fuzz/corpus && cp tests/fuzz/corpus/*.json tests/fuzz/corpus/*.txt $(BUILD)/fuzz/corpus/
	$(BUILD)/fuzz/fuzz_request_body -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(BUILD)/fuzz/corpus
	@mkdir -p $(BUILD)/fuzz/corpus-envelope && cp tests/fuzz/corpus/proto_*.bin $(BUILD)/fuzz/corpus-envelope/
	$(BUILD)/fuzz/fuzz_envelope -max_total_time=$(FUZZ_SECONDS) -max_len=70000 $(BUILD)/fuzz/corpus-envelope

# the header dependencies the compiler found (see the %.o rule); absent before the first build
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
