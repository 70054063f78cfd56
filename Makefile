# SPDX-License-Identifier: GPL-2.0-only
#
# KVM stage-2 teardown stall suite, built out of tree against a kernel
# tree's KVM selftest library. See README.md.
#
#   make [KSRC=dir] [KVER=6.12|7.2] [ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-]
#   make run [ARGS="-b 1G -t madvise -B 2M,all"]
#   make check [CHECKS="unit cli ..."]
#   make install-tree KSRC=dir
#   make vm-run [KVER=6.12|7.2] [GRANULE=4k|16k|64k] [ARGS="..."] [VM_OPTS="--nic-pair"]
#        [JSON=results.json]
#   make series [KSRC=dir] [SERIES_OUT=dir]
#   make ab CAND="patches/6.12/0001-*.patch" [BASE=...] [CAND_KVER=7.2] [BOOTS=2]
#        [VM_OPTS="--mem 6144 --cpu neoverse-n1"]
#   make verdicts [VERDICT_GRANULES="4k 16k 64k"]
#   make matrix
#   make kbatch
#   make report [RESULTS="a.json b.json"] [REPORT_OUT=dir]
#   make lava-run
#
# KVER is the kernel version in every target (KVERSION, its old name, is
# taken too) and ARGS the test's arguments in every target (RUN_ARGS
# likewise). Enumerated and numeric variables are checked before anything
# is built: a bad value stops make with one line naming it.

# The variables this Makefile takes from the command line; another one
# (ARG=, GRANUL=) is refused naming the nearest, instead of being ignored.
STALL_VARS := ARCH CROSS_COMPILE HOSTCC CC V BUILD KVER KVERSION KSRC SANITIZE ARGS RUN_ARGS RUN_ON \
	CHECKS GRANULE ICOUNT NUMA VM_TEST JSON VM_TIMEOUT VM_OPTS VM_ARGS VM_ARGS_OF BUILD_KERNEL \
	PATCHES BOOTS CAND_KVER BASE CAND VERDICT_GRANULES RESULTS REPORT_OUT SERIES_OUT FUZZ_CC \
	FUZZ_TIME FUZZ_SEED TRIALS SEED STALL_LDFLAGS
stall_near = $(firstword $(foreach k,$(STALL_VARS),$(if $(findstring $(1),$(k)),$(k))) \
	$(foreach k,$(STALL_VARS),$(if $(findstring $(k),$(1)),$(k))))
$(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(if $(filter $(v),$(STALL_VARS) \
	MAKEFLAGS MAKEOVERRIDES),,$(error unknown variable '$(v)': $(if $(call stall_near,$(v)),did you \
	mean $(call stall_near,$(v))?,this Makefile takes $(STALL_VARS))))))
# make run -b 64M: make's -b is ignored and 64M taken as a target
$(foreach g,$(filter -% 0% 1% 2% 3% 4% 5% 6% 7% 8% 9%,$(MAKECMDGOALS)),$(error '$(g)' is not a \
	target: the test's options go in ARGS, as in make run ARGS="-b 64M"))

HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
override ARCH := $(patsubst aarch64,arm64,$(patsubst x86,x86_64,$(ARCH)))
ifeq ($(ARCH),x86_64)
KARCH := x86
else ifeq ($(ARCH),arm64)
KARCH := arm64
else
$(error ARCH=$(ARCH) is not supported: use x86_64 or arm64)
endif

# $(call alias,NAME,OLD): OLD, an old name of NAME, sets it; both given must agree
define alias
ifneq ($$(origin $(2)),undefined)
ifneq ($$(origin $(1)),undefined)
ifneq ($$(strip $$($(1))),$$(strip $$($(2))))
$$(error $(1)='$$($(1))' and $(2)='$$($(2))' differ: $(1) is the name, $(2) an old one for it)
endif
endif
$(1) := $$($(2))
endif
endef

# $(call enum,NAME,VALUES): NAME is one word out of VALUES
enum = $(if $(and $(filter 1,$(words $($(1)))),$(if $(filter-out $(2),$($(1))),,1)),,$(error \
	invalid $(1) '$($(1))': one of $(2)))
nodigit = $(subst 9,,$(subst 8,,$(subst 7,,$(subst 6,,$(subst 5,,$(subst 4,,$(subst 3,,$(subst \
	2,,$(subst 1,,$(subst 0,,$(1)))))))))))
# $(call number,NAME): NAME is a whole number; $(call positive,NAME) one above 0
number = $(if $(and $(filter 1,$(words $($(1)))),$(if $(call nodigit,$($(1))),,1)),,$(error \
	invalid $(1) '$($(1))': a whole number, digits only))
positive = $(call number,$(1))$(if $(subst 0,,$($(1))),,$(error invalid $(1) '$($(1))': more than 0))

BUILD ?= $(CURDIR)/build
override BUILD := $(abspath $(BUILD))
$(eval $(call alias,KVER,KVERSION))
KVER ?= 6.12
$(call enum,KVER,6.12 7.2)
DEFAULT_KSRC := $(BUILD)/src/linux-source-$(KVER)
KSRC ?= $(DEFAULT_KSRC)
override KSRC := $(abspath $(KSRC))

# ASan and UBSan on the suite's host code (not the guest's, not the KVM
# library's), for make sanitize; any finding aborts the run.
SANITIZE ?=
$(if $(SANITIZE),$(call enum,SANITIZE,0 1))
ifeq ($(SANITIZE),1)
SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_SUFFIX := -san
endif

# One output directory per architecture and kernel tree (and sanitizer build).
TREE_ID := $(subst /,_,$(patsubst $(BUILD)/src/%,%,$(KSRC)))
OUT := $(BUILD)/$(ARCH)$(SAN_SUFFIX)/$(notdir $(TREE_ID))
KVM_OUT := $(OUT)/kvm
HDR_OUT := $(OUT)/kobj

# Cross-built tests are static, for the testbed's initramfs, except the
# sanitizer build: the sanitizers' runtimes are shared libraries only, and
# check-sanitize.sh carries them into the testbed with the test.
ifneq ($(ARCH),$(HOST_ARCH))
CROSS_COMPILE ?= aarch64-linux-gnu-
STALL_LDFLAGS ?= $(if $(filter 1,$(SANITIZE)),,-static)
endif

KVM_MAKE = $(MAKE) -s -C $(KSRC)/tools/testing/selftests/kvm -f Makefile \
	-f $(CURDIR)/scripts/kvm-overlay.mk ARCH=$(KARCH) \
	CROSS_COMPILE=$(CROSS_COMPILE) OUTPUT=$(KVM_OUT) abs_objdir=$(HDR_OUT) \
	KHDR_INCLUDES="-isystem $(HDR_OUT)/usr/include" STALL_ROOT=$(CURDIR) \
	STALL_LDFLAGS="$(STALL_LDFLAGS)" STALL_SAN_CFLAGS="$(SAN_CFLAGS)"

# The test's arguments: make run's default is the test's own (the whole
# sweep), the testbed targets' a short one (VM_ARGS).
$(eval $(call alias,ARGS,RUN_ARGS))
VM_ARGS := -b 256M -t madvise -B 2M,all
test_args = $(if $(filter undefined,$(origin ARGS)),$(1),$(ARGS))

# Two builds of one tree at once (two make runs) wait for each other: the
# kernel's header export and the library's objects are not safe to share.
BUILD_LOCK = mkdir -p $(OUT) && flock -w 1800 $(OUT)/.build.lock

all: $(HDR_OUT)/.headers
	+@$(BUILD_LOCK) $(KVM_MAKE) stall-all
	@echo "built: $(KVM_OUT)/kvm_page_table_stall_test $(KVM_OUT)/stall_probe_test"

deps:
	@scripts/deps.sh build $(if $(CROSS_COMPILE),arm64)

# Debian's source package, fetched and unpacked once under $(BUILD)/src.
$(DEFAULT_KSRC)/.unpacked: | deps
	scripts/get-ksrc.sh $(KVER) $(BUILD)/src

$(KSRC)/Makefile: | $(if $(filter $(DEFAULT_KSRC),$(KSRC)),$(DEFAULT_KSRC)/.unpacked)
	@test -f $@ || { echo "KSRC=$(KSRC) is not a kernel source tree" >&2; exit 1; }

# Exported headers go to $(HDR_OUT), so the kernel tree stays untouched.
$(HDR_OUT)/.headers: $(KSRC)/Makefile | deps
	+$(BUILD_LOCK) $(MAKE) -C $(KSRC) O=$(HDR_OUT) ARCH=$(KARCH) headers >/dev/null
	@mkdir -p $(HDR_OUT)/tools
	@touch $@

# make run: on this host's /dev/kvm where it is KVM, else in the arm64
# testbed (Debian's 6.12, 4K pages: the 2024 report's configuration);
# RUN_ON=host or RUN_ON=testbed chooses. Its first line says which, and why.
RUN_ON ?= auto
$(call enum,RUN_ON,auto host testbed)
ifneq ($(filter run,$(MAKECMDGOALS)),)
# one call: its answer, then its status as the last word
RUN_KVM_ANS := $(shell scripts/host-kvm.sh; echo $$?)
RUN_KVM := $(filter-out $(lastword $(RUN_KVM_ANS)),$(RUN_KVM_ANS))
RUN_KVM_OK := $(filter 0,$(lastword $(RUN_KVM_ANS)))
RUN_WHERE := $(if $(filter auto,$(RUN_ON)),$(if $(RUN_KVM_OK),host,testbed),$(RUN_ON))
RUN_WHY := $(if $(filter auto,$(RUN_ON)),$(RUN_KVM),RUN_ON=$(RUN_ON))
endif

run: run-$(RUN_WHERE)

run-where:
	@echo "run: $(if $(filter host,$(RUN_WHERE)),on this host's /dev/kvm,in the arm64 testbed \
		(QEMU, Debian's $(KVER) kernel with $(GRANULE) pages, arm64 KVM inside)): $(RUN_WHY)"

# $(call run_outcome,WHO): the test's status in words, and for
# scripts/run.sh (which exits with it) in the file STALL_RUN_STATUS names;
# make itself exits 2 on any of them
run_outcome = rc=$$?; [ -z "$$STALL_RUN_STATUS" ] || echo $$rc > "$$STALL_RUN_STATUS"; case $$rc in \
	0) ;; \
	1) echo "$(1): status 1: a point not ok (over budget: a verdict on the kernel, not a build" \
		"failure), or an option refused (named above)";; \
	4) echo "$(1): status 4: the whole run skipped (see the SKIP line)";; \
	130) echo "$(1): status 130: interrupted";; \
	*) echo "$(1): status $$rc: see the messages above";; esac >&2; exit $$rc

run-host: run-where all
	@$(KVM_OUT)/kvm_page_table_stall_test $(call test_args,); $(call run_outcome,run)

run-testbed: run-where
	+@$(MAKE) --no-print-directory vm-run VM_ARGS= RUN_ON=$(RUN_ON)

# Unit tests of the library's arithmetic: no KVM and no kernel tree needed.
UNIT_OUT := $(BUILD)/unit$(SAN_SUFFIX)
UNIT_OBJ := $(addprefix $(UNIT_OUT)/,stall_hist.o stall_parse.o stall_budget.o stall_trace.o \
	stall_sys.o stall_irq.o stall_json.o stall_blkdev.o stall_probe.o stall_load.o stall_load_net.o \
	stall_load_blk.o stall_run.o stall_judge.o stall_opts.o stall_lab_judge.o)
UNIT_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Wstrict-prototypes -std=gnu99 \
	-DSTALL_LAB -Iinclude -Itests/include $(SAN_CFLAGS) \
	'-D__weak=__attribute__((weak))' '-D__noreturn=__attribute__((noreturn))'

$(UNIT_OUT)/%.o: lib/%.c include/*.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -c $< -o $@

HOSTCC ?= gcc
NPROC := $(shell nproc 2>/dev/null || echo 1)

# the IRQ state file's lock is tested in a scratch directory, not in /run
$(UNIT_OUT)/stall_irq.o: UNIT_CFLAGS += -DSTALL_IRQ_STATE_DIR='"."'

$(UNIT_OUT)/stall_unit_test: tests/stall_unit_test.c $(UNIT_OBJ) include/*.h
	$(HOSTCC) $(UNIT_CFLAGS) $< $(UNIT_OBJ) -lm -lpthread -o $@

unit: $(UNIT_OUT)/stall_unit_test

# libFuzzer targets (clang's, a Debian package): the value parsers alone,
# and the test's whole command line against the tree's KVM library.
FUZZ_CC ?= clang-14
FUZZ_OUT := $(BUILD)/fuzz
# the targets' entry points are named in kernel style; libFuzzer's names are CamelCase
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wl,--defsym=LLVMFuzzerTestOneInput=stall_fuzz_one_input
FUZZ_PARSE_SRC := $(addprefix lib/,stall_parse.c stall_load.c stall_load_net.c stall_load_blk.c stall_blkdev.c \
	stall_hist.c stall_probe.c stall_sys.c stall_irq.c stall_budget.c)
FUZZ_TIME ?= 20
FUZZ_SEED ?= 1
$(call positive,FUZZ_TIME)$(call number,FUZZ_SEED)

$(FUZZ_OUT)/stall_fuzz_parse: tests/fuzz/stall_fuzz_parse.c $(FUZZ_PARSE_SRC) include/*.h
	@scripts/deps.sh fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu99 -DSTALL_LAB -Iinclude -Itests/include $< $(FUZZ_PARSE_SRC) -lm -lpthread -o $@

fuzz-build: all $(FUZZ_OUT)/stall_fuzz_parse
	+$(KVM_MAKE) FUZZ_CC=$(FUZZ_CC) \
		FUZZ_FLAGS="$(FUZZ_FLAGS) -Wl,--defsym=LLVMFuzzerInitialize=stall_fuzz_init" \
		STALL_FUZZ_OUT=$(FUZZ_OUT) stall-fuzz

# Each target FUZZ_TIME seconds from seed FUZZ_SEED; findings are kept in $(FUZZ_OUT).
fuzz: fuzz-build
	tests/check-fuzz.sh $(FUZZ_OUT) $(FUZZ_TIME) $(FUZZ_SEED)

# The submission: a git format-patch series against KSRC (docs/series.md).
SERIES_OUT ?= $(BUILD)/series/$(notdir $(TREE_ID))
series: $(KSRC)/Makefile
	scripts/mkseries.sh $(KSRC) $(SERIES_OUT)

# Fold the sources' changes into the series' patch stack (docs/series.md).
series-refresh:
	scripts/series-refresh.sh

# Randomized interrupt trials, more than make check's 12 (docs/robustness.md).
TRIALS ?= 60
SEED ?= $(shell date +%s)
$(call positive,TRIALS)$(call number,SEED)
trials: all
	tests/check-interrupts.sh $(KVM_OUT) $(BUILD) $(TRIALS) $(SEED)

# The unit tests and a short real sweep with loads, sanitized: on this
# host's KVM, else in the arm64 testbed (an arm64 sanitizer build); the
# host (x86) build is of no use without KVM here, and is not made then.
sanitize:
	+$(MAKE) SANITIZE=1 unit
	+@if scripts/host-kvm.sh > /dev/null; then $(MAKE) -j$(NPROC) SANITIZE=1 all; \
	else $(MAKE) --no-print-directory -j$(NPROC) SANITIZE=1 ARCH=arm64 all; fi
	tests/check-sanitize.sh $(BUILD)/unit-san/stall_unit_test \
		$(BUILD)/$(ARCH)-san/$(notdir $(TREE_ID))/kvm $(BUILD)

CHECKS ?=

# The plan (checks, expected times, downloads) before anything is built;
# a check name it does not know stops it there.
check:
	@tests/run-checks.sh --plan $(BUILD) $(KVM_OUT) $(CHECKS)
	+@$(MAKE) --no-print-directory -j$(NPROC) all unit
	@scripts/deps.sh arm64 testbed kernel fuzz results report
	tests/run-checks.sh --planned $(BUILD) $(KVM_OUT) $(CHECKS)

# The arm64 testbed: arm64 KVM inside QEMU (docs/testbed.md).
GRANULE ?= 4k
ICOUNT ?= 1
NUMA ?= 0
VM_TEST ?= kvm_page_table_stall_test
JSON ?=
VM_TIMEOUT ?= 1800
VM_OPTS ?=
BUILD_KERNEL ?=
PATCHES ?=
$(call enum,GRANULE,4k 16k 64k)$(call enum,ICOUNT,0 1)$(call enum,NUMA,0 1)
$(call enum,VM_TEST,kvm_page_table_stall_test stall_probe_test)$(call positive,VM_TIMEOUT)
$(if $(filter-out 1,$(BUILD_KERNEL)),$(error invalid BUILD_KERNEL '$(BUILD_KERNEL)': 1, or leave it out))
TESTBED := $(BUILD)/testbed
ARM64_OUT := $(BUILD)/arm64/linux-source-$(KVER)/kvm
INITRAMFS := $(TESTBED)/initramfs-$(KVER).cpio.gz
KERNEL_DEPS = testbed $(if $(filter 64k,$(GRANULE))$(BUILD_KERNEL)$(PATCHES),kernel)

initramfs:
	@scripts/deps.sh testbed arm64
	+$(MAKE) -j$(NPROC) ARCH=arm64 KVER=$(KVER)
	scripts/mkinitramfs.sh $(INITRAMFS) $(ARM64_OUT) $(TESTBED)

kernel:
	@scripts/deps.sh $(KERNEL_DEPS)
	@BUILD_KERNEL="$(BUILD_KERNEL)" PATCHES="$(PATCHES)" \
		scripts/get-kernel.sh $(KVER) $(GRANULE) $(TESTBED)

vm-run: initramfs
	@scripts/deps.sh $(KERNEL_DEPS)
	@k=$$(BUILD_KERNEL="$(BUILD_KERNEL)" PATCHES="$(PATCHES)" \
		scripts/get-kernel.sh $(KVER) $(GRANULE) $(TESTBED)) || exit 2; \
	VM_RUN_LOG_DIR=$(TESTBED) scripts/vm-run.sh --kernel $$k --initrd $(INITRAMFS) $(if $(filter 1,$(ICOUNT)),--icount) \
		$(if $(filter 1,$(NUMA)),--numa) --timeout $(VM_TIMEOUT) $(VM_OPTS) \
		$(if $(JSON),--json $(JSON)) -- ./$(VM_TEST) $(call test_args,$(VM_ARGS)); \
	$(call run_outcome,vm-run)

# A/B of two kernels built alike (docs/ab.md). make
# exits 2 on any non-zero status; scripts/ab.sh itself gives 0, 1 or 125.
BOOTS ?= 1
$(call positive,BOOTS)$(if $(CAND_KVER),$(call enum,CAND_KVER,6.12 7.2))
ab: initramfs
	@scripts/deps.sh testbed kernel results
	@KVER=$(KVER) CAND_KVER=$(or $(CAND_KVER),$(KVER)) GRANULE=$(GRANULE) BASE="$(BASE)" \
		CAND="$(CAND)" BOOTS=$(BOOTS) ICOUNT=$(ICOUNT) VM_TIMEOUT=$(VM_TIMEOUT) VM_OPTS="$(VM_OPTS)" \
		scripts/ab.sh $(TESTBED) $(INITRAMFS) $(call test_args,$(VM_ARGS))

matrix: initramfs
	@scripts/deps.sh testbed kernel
	scripts/matrix.sh $(TESTBED) $(INITRAMFS) $(call test_args,$(VM_ARGS))

# The kernel's own stage-2 batch swept (patches/knob), and one page of plots
# and tables from results files (default: that sweep's).
kbatch: initramfs
	@scripts/deps.sh testbed kernel
	scripts/kbatch-sweep.sh $(TESTBED) $(INITRAMFS) $(BUILD)/kbatch
	@scripts/deps.sh report
	scripts/stall-report.py kbatch $(BUILD)/kbatch/*.json

# The missed-stall benchmark (scripts/verdicts.sh): known kernel behaviours,
# each judged under both budget tiers, at each granule.
VERDICT_GRANULES ?= 4k 16k 64k
$(if $(filter-out 4k 16k 64k,$(VERDICT_GRANULES))$(if $(VERDICT_GRANULES),,empty),$(error \
	invalid VERDICT_GRANULES '$(VERDICT_GRANULES)': some of 4k 16k 64k))
verdicts: initramfs
	@scripts/deps.sh testbed kernel results
	VERDICT_GRANULES="$(VERDICT_GRANULES)" scripts/verdicts.sh $(TESTBED) $(INITRAMFS) \
		$(BUILD)/verdicts

RESULTS ?= $(wildcard $(BUILD)/kbatch/*.json)
REPORT_OUT ?= $(BUILD)/report
report:
	@test -n "$(strip $(RESULTS))" || \
		{ echo "report needs RESULTS=<results files> (make kbatch, make ab, -j)" >&2; exit 1; }
	@for f in $(RESULTS); do test -f "$$f" -a -r "$$f" -a -s "$$f" || \
		{ echo "report: results file '$$f' does not exist, is empty or cannot be read" >&2; exit 1; }; done
	@scripts/deps.sh report
	scripts/stall-report.py $(REPORT_OUT) $(RESULTS)

# A real LAVA dispatcher (Debian's lava-run, no server) runs the project's
# job on a QEMU arm64 device with KVM inside: the testbed's 6.12 kernel, a
# ramdisk, the tree's kselftest tarball (gen_tar) with the suite, the test
# definition lava/kvm-stall.yaml; then its results are checked against the
# KTAP the board printed (docs/ci.md). The sweep is the job's own.
LAVA_OUT := $(BUILD)/lava/run
lava-run:
	@test "$(origin ARGS)" = undefined || { echo "lava-run runs the job's own sweep (TEST_ARGS in" \
		"lava/job-qemu-arm64-kvm-stall.yaml); it takes no ARGS" >&2; exit 1; }
	@scripts/deps.sh build arm64 testbed lava
	@scripts/get-ksrc.sh 6.12 $(BUILD)/src
	scripts/lava-run.sh $(BUILD) $(LAVA_OUT)
	tests/check-lava-run.sh $(LAVA_OUT)

install-tree:
	@test -n "$(filter-out $(DEFAULT_KSRC),$(KSRC))" || \
		{ echo "install-tree needs KSRC=<kernel tree to install into>" >&2; exit 1; }
	scripts/install-tree.sh $(CURDIR) $(KSRC)

clean:
	rm -rf $(BUILD)/x86_64 $(BUILD)/arm64 $(BUILD)/unit $(BUILD)/x86_64-san $(BUILD)/unit-san \
		$(FUZZ_OUT)

distclean:
	rm -rf $(BUILD)

.PHONY: all deps run run-where run-host run-testbed unit sanitize fuzz fuzz-build trials ab check series series-refresh kbatch verdicts report lava-run install-tree initramfs kernel vm-run matrix clean distclean
