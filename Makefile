# Two entry points for a fresh Debian machine: `make demo` and `make test`.
# Both install what they need (apt RISC-V toolchain + qemu-user, chromium and redis-server for the
# report and queue tests, npm ci), skipping what is present.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
APT_PACKAGES := gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf qemu-user chromium redis-server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup toolchain deps build typecheck test demo demo-c bench clean

all: build

toolchain:
	@missing=""; \
	command -v riscv64-unknown-elf-gcc >/dev/null || missing="$$missing gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf"; \
	command -v qemu-riscv32 >/dev/null || missing="$$missing qemu-user"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

node_modules/.package-lock.json: package-lock.json
	ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

setup: toolchain deps

build: deps
	$(NODE_BIN)/tsc -p tsconfig.json

typecheck: deps
	$(NODE_BIN)/tsc -p tsconfig.test.json

test: setup build typecheck
	$(NODE_BIN)/vitest run

demo-c: setup build
	node dist/src/runtime/demo.js

demo: setup build
	node dist/src/cli/demo.js $(DEMO_ARGS)

bench: setup build
	node dist/bench/index.js

clean:
	rm -rf dist build test/.out bench/.out
