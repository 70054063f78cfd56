# SPDX-License-Identifier: GPL-2.0-only
#
# Read after a kernel tree's tools/testing/selftests/kvm/Makefile (make -f
# Makefile -f this), so that the suite is compiled with that tree's CFLAGS,
# headers and KVM library objects, into $(OUTPUT), without writing to the tree.
# STALL_ROOT is the project root.

STALL_LIB_SRC := $(wildcard $(STALL_ROOT)/lib/*.c)
STALL_LIB_OBJ := $(patsubst $(STALL_ROOT)/lib/%.c,$(OUTPUT)/stall/lib/%.o,$(STALL_LIB_SRC))
STALL_TESTS := $(patsubst $(STALL_ROOT)/selftests/%.c,%,$(wildcard $(STALL_ROOT)/selftests/*.c))
STALL_PROGS := $(addprefix $(OUTPUT)/,$(STALL_TESTS))
STALL_TEST_OBJ := $(patsubst %,$(OUTPUT)/stall/%.o,$(STALL_TESTS))

-include $(STALL_LIB_OBJ:.o=.d) $(STALL_TEST_OBJ:.o=.d)

# STALL_SAN_CFLAGS (make SANITIZE=1) instruments the suite's host code
# only. stall_vm.c holds the guest code, which runs in the guest, where
# the sanitizers' shadow memory and runtime do not exist; the KVM
# library's objects, guest side included, stay as the tree builds them.
# the suite's version, for the results file
STALL_VERSION := $(shell git -C $(STALL_ROOT) describe --always --dirty 2>/dev/null || echo unknown)
$(OUTPUT)/stall/lib/stall_results.o: CPPFLAGS += -DSTALL_SUITE_VERSION='"$(STALL_VERSION)"'

# The lab kit: what the series leaves out (mkseries.sh: unifdef -USTALL_LAB),
# the -j results file. Objects are rebuilt when this file changes.
STALL_LAB_CPPFLAGS := -DSTALL_LAB
$(STALL_LIB_OBJ) $(STALL_TEST_OBJ) $(STALL_PROGS) $(STALL_FUZZ_OUT)/stall_fuzz_options: \
	CPPFLAGS += $(STALL_LAB_CPPFLAGS)

STALL_GUEST_OBJ := $(OUTPUT)/stall/lib/stall_vm.o
$(filter-out $(STALL_GUEST_OBJ),$(STALL_LIB_OBJ)) $(STALL_TEST_OBJ): \
	STALL_OBJ_CFLAGS := $(STALL_SAN_CFLAGS)

$(OUTPUT)/stall/lib/%.o: $(STALL_ROOT)/lib/%.c $(GEN_HDRS) $(STALL_ROOT)/scripts/kvm-overlay.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(STALL_OBJ_CFLAGS) -I$(STALL_ROOT)/include $(CPPFLAGS) $(TARGET_ARCH) \
		-c $< -o $@

$(OUTPUT)/stall/%.o: $(STALL_ROOT)/selftests/%.c $(GEN_HDRS) $(STALL_ROOT)/scripts/kvm-overlay.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(STALL_OBJ_CFLAGS) -I$(STALL_ROOT)/include $(CPPFLAGS) $(TARGET_ARCH) \
		-c $< -o $@

# Object lists, not an archive: an archive would drop the strong overrides
# of the library's __weak symbols.
$(STALL_PROGS): $(OUTPUT)/%: $(OUTPUT)/stall/%.o $(STALL_LIB_OBJ) $(LIBKVM_OBJS)
	$(CC) $(CFLAGS) $(STALL_SAN_CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(STALL_LDFLAGS) \
		$(TARGET_ARCH) $< \
		$(STALL_LIB_OBJ) $(LIBKVM_OBJS) $(LDLIBS) -o $@

stall-all: $(STALL_PROGS)

# The command-line fuzzer: the test's own source with main() renamed,
# exit() wrapped into a jump back to the fuzzer (tests/fuzz/).
STALL_FUZZ_OPT := $(STALL_FUZZ_OUT)/stall_fuzz_options
$(STALL_FUZZ_OPT): $(STALL_ROOT)/tests/fuzz/stall_fuzz_options.c \
		$(STALL_ROOT)/selftests/kvm_page_table_stall_test.c $(STALL_LIB_SRC) $(LIBKVM_OBJS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter-out -MD -MP -march=%,$(CFLAGS)) $(FUZZ_FLAGS) \
		-Wno-unused-command-line-argument -I$(STALL_ROOT)/include $(CPPFLAGS) \
		$(LDFLAGS) $< $(STALL_LIB_SRC) $(LIBKVM_OBJS) $(LDLIBS) -Wl,--wrap=exit -o $@

stall-fuzz: $(STALL_FUZZ_OPT)

stall-print-%:
	@echo '$($*)'

.PHONY: stall-all stall-fuzz
