# cairn - the two commands a new machine needs: `make run` and `make check`.
# Everything else is meson + ninja underneath.
PREFIX ?= /usr/local
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps run check bench fuzz install clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS)

deps:
	scripts/deps

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/cairn $(ARGS)

check:
	scripts/check

bench:
	scripts/deps --bench
	@[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release -Dbench=true -Dtests=false
	ninja -C build-bench
	scripts/bench build-bench

fuzz:
	scripts/deps --fuzz
	scripts/fuzz $(FUZZ_SECONDS)

install: all
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD)

clean:
	rm -rf build build-check build-bench build-fuzz
