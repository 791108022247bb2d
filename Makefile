# Thin wrapper over CMake presets. The two commands of the README:
#   make run    install what is missing, build, start the main job
#   make test   install what is missing, build, run every test
PRESET ?= release
BUILD := build/$(PRESET)
SENTI := $(BUILD)/apps/senti/senti

.PHONY: run test build deps clean python bench-tokenizer bench-serve bench-explain

deps:
	@scripts/install-deps

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET)

run: build
	@scripts/run-demo $(SENTI) $(ARGS)

test: build
	@ctest --preset $(PRESET)

# The Python package (`import senti`) into Debian's interpreter, offline: the module built above
# and python/senti, installed by pip without build isolation or dependencies from PyPI.
python: build
	@/usr/bin/python3 -m pip install --no-build-isolation --no-deps --break-system-packages $(BUILD)/python

bench-tokenizer: build
	@bench/tokenizer.sh

bench-serve: build
	@bench/serve.sh

bench-explain: build
	@bench/explain.sh

clean:
	rm -rf build
