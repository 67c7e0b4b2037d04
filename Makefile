# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tunleak: make (build), make test, make demo, make bench, make install.
OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
PREFIX ?= /usr/local
VERSION := 0.2.0$(shell git rev-parse --short HEAD 2>/dev/null | sed "s/^/+g/")
MARCH := $(shell uname -m)
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/')

CFLAGS ?= -g -O2
# What the code needs, kept out of CFLAGS so that `make CFLAGS=...` keeps it.
INCLUDES := -I$(OUTPUT) -Ibpf -Iuser -I/usr/include/libnl3
TL_CFLAGS := -Wall -Wextra -Werror -D_GNU_SOURCE -DTUNLEAK_VERSION='"$(VERSION)"' $(INCLUDES)
LIBS := -lbpf -lelf -lz -lnl-3 -ljson-c -lm -lpthread
# The BPF object's debug info (BTF, inside the skeleton and so inside every
# binary) would carry the build directory: two checkouts of one commit in two
# paths would build different binaries. Mapped to ".", they build the same.
BPF_CFLAGS := -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I/usr/include/$(MARCH)-linux-gnu -Ibpf \
	-fdebug-prefix-map=$(CURDIR)=.

# The sources are folders by layer (user/README.md): a folder includes only
# from itself and the folders before it in LAYERS.
LAYERS := lib model config netns audit node datapath out trace cmd
objs_of = $(patsubst user/%.c,$(OUTPUT)/%.o,$(wildcard $(patsubst %,user/%/*.c,$(1))))
# Layers that need no libbpf: the fuzzers link them without it.
PLAIN_LAYERS := lib model config netns audit node out
# static_nss.o goes into the static binary only; main.o only into binaries.
ALL_OBJS := $(filter-out $(OUTPUT)/lib/static_nss.o,$(call objs_of,$(LAYERS)))
MAIN_OBJ := $(OUTPUT)/cmd/main.o
# What unit tests, BPF tests and the bench link: every layer but main().
APP_OBJS := $(filter-out $(MAIN_OBJ),$(ALL_OBJS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/%,$(wildcard tests/bpf/test_*.c))
# tests/helpers/: programs the e2e tests run, and frames.c, the one builder of
# crafted frames that the BPF tests and bench/tlbench link (not a program).
HELPERS := $(patsubst tests/helpers/%.c,$(OUTPUT)/tests/%,$(filter-out %.bpf.c tests/helpers/frames.c,$(wildcard tests/helpers/*.c)))
FRAMES_OBJ := $(OUTPUT)/tests/frames.o
HELPER_BPF := $(patsubst tests/helpers/%.bpf.c,$(OUTPUT)/tests/%.bpf.o,$(wildcard tests/helpers/*.bpf.c))

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all deps check-deps static test test-build bench-build demo bench install clean format

all: check-deps tunleak

# Say what is missing instead of failing deep in a compile.
check-deps:
	@missing=""; \
	for c in $(CLANG) $(BPFTOOL) $(CC) pkg-config; do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	for h in bpf/libbpf.h libelf.h zlib.h libnl3/netlink/netlink.h json-c/json.h; do \
		[ -e /usr/include/$$h ] || missing="$$missing $$h"; done; \
	if [ -n "$$missing" ]; then \
		echo "tunleak: missing build dependencies:$$missing"; \
		echo "         run: sudo scripts/deps.sh"; exit 1; fi

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/tunleak.bpf.o: bpf/tunleak.bpf.c bpf/tunleak.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tunleak.skel.h: $(OUTPUT)/tunleak.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Header dependencies from the compiler (-MMD -MP); the skeleton must exist
# before any object is built, and loader.o's .d names it.
$(OUTPUT)/%.o: user/%.c | $(OUTPUT) $(OUTPUT)/tunleak.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(wildcard $(OUTPUT)/*/*.d)

tunleak: $(ALL_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) $^ $(LIBS) -o $@

# One fully static binary from Debian's archives (libbpf.a, libelf.a, libz.a,
# libnl-3.a, libjson-c.a): it runs on any x86_64 node with nothing installed.
tunleak-static: $(ALL_OBJS) $(OUTPUT)/lib/static_nss.o
	$(call msg,STATIC,$@)
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) -static -Wl,--strip-all $^ $(LIBS) -o $@
	$(Q)file $@ | grep -q "statically linked" || { echo "$@: not statically linked"; rm -f $@; exit 1; }

static: check-deps tunleak-static

# --- tests -------------------------------------------------------------------
$(OUTPUT)/tests/%: tests/unit/%.c $(APP_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) -Wno-unused-parameter $< $(APP_OBJS) -lcmocka $(LIBS) -o $@

$(OUTPUT)/tests/%: tests/bpf/%.c $(APP_OBJS) $(FRAMES_OBJ) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(TL_CFLAGS) -Itests/helpers $(CFLAGS) -Wno-unused-parameter $< $(APP_OBJS) \
		$(FRAMES_OBJ) -lcmocka $(LIBS) -o $@

$(FRAMES_OBJ): tests/helpers/frames.c tests/helpers/frames.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/tests/%.bpf.o: tests/helpers/%.bpf.c | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/%: tests/helpers/%.c | $(OUTPUT)/tests
	$(call msg,HELPER,$@)
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) $< $(LIBS) -o $@

$(OUTPUT)/bench/%.bpf.o: bench/%.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(OUTPUT)/bench
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/tlbench: bench/tlbench.c $(APP_OBJS) $(FRAMES_OBJ) | $(OUTPUT)
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(OUTPUT)/bench
	$(Q)$(CC) $(TL_CFLAGS) -Itests/helpers $(CFLAGS) $< $(APP_OBJS) $(FRAMES_OBJ) $(LIBS) -o $@

$(OUTPUT)/bench/storm: bench/storm.c | $(OUTPUT)
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(OUTPUT)/bench
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) $< -o $@

bench-build: all $(OUTPUT)/bench/tlbench $(OUTPUT)/bench/empty.bpf.o $(OUTPUT)/bench/floor.bpf.o \
	$(OUTPUT)/bench/storm

test-build: all tunleak-static $(OUTPUT)/bench/storm $(UNIT_TESTS) $(BPF_TESTS) $(HELPERS) $(HELPER_BPF)

# The README's test command: installs what it needs, builds, runs everything.
test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/tests/netprobe
	$(Q)scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory test-build bench-build
	$(Q)scripts/bench.sh $(OUT)

# The binary, the OpenVPN hook, `man tunleak`, bash completion, the licences.
install: tunleak
	install -D -m 0755 tunleak $(DESTDIR)$(PREFIX)/sbin/tunleak
	install -D -m 0755 scripts/tunleak-route-fix $(DESTDIR)$(PREFIX)/share/tunleak/tunleak-route-fix
	install -D -m 0755 scripts/openvpn-route-up.sh $(DESTDIR)$(PREFIX)/share/tunleak/openvpn-route-up.sh
	install -D -m 0644 docs/tunleak.8 $(DESTDIR)$(PREFIX)/share/man/man8/tunleak.8
	install -D -m 0644 scripts/tunleak-completion.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tunleak
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/doc/tunleak LICENSE THIRD_PARTY_NOTICES.md
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/doc/tunleak/LICENSES LICENSES/*

# The C sources as .clang-format writes them (make test checks it:
# scripts/check-format.sh, the same files).
format:
	clang-format -i $$(git ls-files 'bpf/*.[ch]' 'user/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]')

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) tunleak tunleak-static

# --- helpers, fuzzing, sanitizers, image -----------------------------------------
# The HTTP server's test helper links the server module.
$(OUTPUT)/tests/httpd: tests/helpers/httpd.c $(OUTPUT)/lib/http.o $(OUTPUT)/lib/http_parse.o | $(OUTPUT)/tests
	$(call msg,HELPER,$@)
	$(Q)$(CC) $(TL_CFLAGS) $(CFLAGS) $^ -o $@

# libFuzzer targets (tests/fuzz/fuzz_*.c) over the plain C modules, built with
# clang into $(FUZZ_OUT); `make fuzz` runs each for FUZZ_SECONDS, `make
# fuzz-short` (part of make test, through tests/run.sh) for 3 s each.
FUZZ_OUT := .output-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Ibpf -Iuser -I/usr/include/libnl3 -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_OBJS := $(patsubst $(OUTPUT)/%,$(FUZZ_OUT)/%,$(call objs_of,$(PLAIN_LAYERS)))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_OUT):
	$(Q)mkdir -p $@

$(FUZZ_OUT)/%.o: user/%.c $(wildcard user/*/*.h) bpf/tunleak.h | $(FUZZ_OUT)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) | $(FUZZ_OUT)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -lnl-3 -ljson-c -lm -o $@

.PHONY: fuzz-build fuzz fuzz-short asan-build test-asan
fuzz-build: $(FUZZ_BINS)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-short: fuzz-build
	$(Q)scripts/fuzz.sh 3

# The unit tests again with AddressSanitizer and UBSan, into $(ASAN_OUT) (the
# plain C modules only: main.o is not part of them).
ASAN_OUT := .output-asan
ASAN_CFLAGS := -g -O2 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -D_GNU_SOURCE
ASAN_OBJS := $(patsubst $(OUTPUT)/%,$(ASAN_OUT)/%,$(APP_OBJS))
ASAN_TESTS := $(patsubst tests/unit/%.c,$(ASAN_OUT)/tests/%,$(wildcard tests/unit/test_*.c))

$(ASAN_OUT)/tests:
	$(Q)mkdir -p $@

$(ASAN_OUT)/%.o: user/%.c $(wildcard user/*/*.h) bpf/tunleak.h | $(ASAN_OUT)/tests
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ASAN_CFLAGS) $(INCLUDES) -c $< -o $@

$(ASAN_OUT)/tests/%: tests/unit/%.c $(ASAN_OBJS) | $(ASAN_OUT)/tests
	$(call msg,TEST-ASAN,$@)
	$(Q)$(CC) $(ASAN_CFLAGS) -Wno-unused-parameter $(INCLUDES) $< $(ASAN_OBJS) -lcmocka $(LIBS) -o $@

asan-build: $(ASAN_TESTS)

test-asan: asan-build
	$(Q)tests/run.sh asan

# objects of pattern rules only: keep them between builds
.SECONDARY: $(FUZZ_OBJS) $(ASAN_OBJS)

# The OCI image archive FROM scratch: only tunleak-static, as /tunleak
# (scripts/image.sh: reproducible, nothing pulled). Load it with
# `skopeo copy oci-archive:tunleak.oci.tar docker://REGISTRY/tunleak:TAG`.
IMAGE_OUT ?= tunleak.oci.tar
.PHONY: image
image: static
	$(call msg,IMAGE,$(IMAGE_OUT))
	$(Q)VERSION=$(VERSION) scripts/image.sh tunleak-static $(IMAGE_OUT)

.PHONY: clean-extra
clean: clean-extra
clean-extra:
	$(Q)rm -rf $(FUZZ_OUT) $(ASAN_OUT) $(IMAGE_OUT)

# make test builds these too; tests/run.sh runs them (kinds fuzz, asan)
test-build: fuzz-build asan-build
# ---------------------------------------------------------------------------------

# --- the BPF tests under the sanitizers --------------------------------------
# tests/bpf/ again with ASan and UBSan, over sanitized objects of every layer
# (libbpf, libelf, zlib and libnl-3 stay uninstrumented); run as root by
# tests/run.sh (kind asan), like kind bpf.
ASAN_BPF_TESTS := $(patsubst tests/bpf/%.c,$(ASAN_OUT)/tests/%,$(wildcard tests/bpf/test_*.c))

# datapath/loader.c includes the generated skeleton (-I$(OUTPUT)): rebuild it
# when the BPF program changes; the others only need it to exist.
$(ASAN_OUT)/datapath/loader.o: $(OUTPUT)/tunleak.skel.h
$(ASAN_OBJS): | $(OUTPUT)/tunleak.skel.h

$(ASAN_OUT)/tests/%: tests/bpf/%.c $(ASAN_OBJS) $(ASAN_OUT)/tests/frames.o | $(ASAN_OUT)/tests
	$(call msg,TEST-ASAN,$@)
	$(Q)$(CC) $(ASAN_CFLAGS) -Wno-unused-parameter $(INCLUDES) -Itests/helpers $< $(ASAN_OBJS) \
		$(ASAN_OUT)/tests/frames.o -lcmocka $(LIBS) -o $@

$(ASAN_OUT)/tests/frames.o: tests/helpers/frames.c tests/helpers/frames.h | $(ASAN_OUT)/tests
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

asan-build: $(ASAN_BPF_TESTS)
# ---------------------------------------------------------------------------------
