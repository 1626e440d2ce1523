# patsvc -- PGXS build.  `make test`, `make demo` and `make bench` are the
# entry points for people; they call tools/*.sh, which install what is
# missing, build, stage and run a throw-away cluster.  Everything else here
# is ordinary PGXS.

EXTENSION   = patsvc
EXTVERSION := $(shell awk -F"'" '/^default_version/ {print $$2}' $(EXTENSION).control)
PG_MAJOR   ?= 15
PG_CONFIG  ?= $(firstword $(wildcard /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_config) pg_config)

# ---- areas -----------------------------------------------------------------
# An area is a folder src/<area>/ with an area.mk that ranks it
# (AREAS += NN:<area>; lower ranks come first, a later area may use what an
# earlier one created, never the reverse) and may name a C init function
# (INIT_AREAS += <area>: <area>_init() is called from _PG_init), generated SQL
# that precedes its files (<area>_SQL_GENERATED) and generated headers.
# Its SQL is its numbered files src/<area>/NN-*.sql, in name order; its C is
# every src/<area>/*.c.  Contributing in the README has the checklist.
.DEFAULT_GOAL     := all
AREAS             :=
INIT_AREAS        :=
GENERATED_HEADERS := build/errcodes.h build/areas.h
include $(sort $(wildcard src/*/area.mk))
AREA_NAMES := $(foreach a,$(sort $(AREAS)),$(word 2,$(subst :, ,$(a))))

# ---- C ---------------------------------------------------------------------
MODULE_big  = $(EXTENSION)
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c $(foreach a,$(AREA_NAMES),src/$(a)/*.c))))
PGFILEDESC  = "patsvc - patient services for medical offices"
PG_CPPFLAGS = -I$(CURDIR)/src -I$(CURDIR)/build -DPATSVC_VERSION=\"$(EXTVERSION)\"
# Strict build: used by tools/*.sh and CI.  PATSVC_ASSERT=1 adds assertions.
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers -Wno-cast-function-type
ifeq ($(PATSVC_ASSERT),1)
PG_CFLAGS  += -DUSE_ASSERT_CHECKING
endif

# ---- SQL: the install script is generated from the areas' files ------------
SQL_SOURCES = $(foreach a,$(AREA_NAMES),$($(a)_SQL_GENERATED) $(sort $(wildcard src/$(a)/[0-9][0-9]-*.sql)))
INSTALL_SQL = build/$(EXTENSION)--$(EXTVERSION).sql
# Upgrade scripts: src/upgrade/A--B/*.sql (in name order) make
# build/patsvc--A--B.sql, so work on different concerns adds its own file.
# Install scripts of earlier releases are kept as they shipped in src/upgrade/.
UPGRADE_STEPS = $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard src/upgrade/*--*/*.sql)))))
UPGRADE_SQL   = $(foreach s,$(UPGRADE_STEPS),build/$(EXTENSION)--$(s).sql)
DATA_built  = $(INSTALL_SQL) $(UPGRADE_SQL)
DATA        = $(filter-out %--$(EXTVERSION).sql,$(wildcard src/upgrade/$(EXTENSION)--*.sql))
DOCS        = README.md
EXTRA_CLEAN = build results output_iso regression.diffs regression.out

# ---- tests -----------------------------------------------------------------
# pgvector's layout: pg_regress test/sql/*.sql vs test/expected/*.out
# (--inputdir=test), isolation test/specs/*.spec vs test/expected/*.out;
# results land in results/ and output_iso/ of the checkout (EXTRA_CLEAN).
# Names start with their area: codes_, sched_, retention_, security_,
# replicas_, hygiene_ (the same prefixes as test/pgtap, test/ops, test/stress
# and bench).
# Hardened tests: a name containing "_hardened" after its area (say
# retention_hardened_bypass) needs shared_preload_libraries=patsvc and runs
# in a second cluster (tools/test.sh); make's filter takes one % only, so
# the selection is a findstring over the names.
# Order: pg_regress runs the files in list order in one shared database, so
# the list is sorted by name, and REGRESS_LAST (the hygiene check of the
# whole installed extension) is taken out and put at the end explicitly.
hardened_only = $(foreach t,$(1),$(if $(findstring _hardened,$(t)),$(t)))
without_hardened = $(foreach t,$(1),$(if $(findstring _hardened,$(t)),,$(t)))
REGRESS_LAST     = hygiene_catalog
REGRESS_ALL      = $(basename $(notdir $(sort $(wildcard test/sql/*.sql))))
REGRESS_HARDENED = $(call hardened_only,$(REGRESS_ALL))
REGRESS         ?= $(filter-out $(REGRESS_LAST),$(call without_hardened,$(REGRESS_ALL))) $(REGRESS_LAST)
REGRESS_OPTS     = --inputdir=test --load-extension=$(EXTENSION)
ISOLATION_ALL      = $(basename $(notdir $(sort $(wildcard test/specs/*.spec))))
ISOLATION_HARDENED = $(call hardened_only,$(ISOLATION_ALL))
ISOLATION       ?= $(call without_hardened,$(ISOLATION_ALL))
ISOLATION_OPTS   = --inputdir=test --load-extension=$(EXTENSION)

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# Server headers not installed yet: only the entry points below work; they
# install what is missing first.
all:
	@echo "PostgreSQL $(PG_MAJOR) server headers are missing: run 'make test' or 'make demo'" \
	      "(they install them), or apt-get install postgresql-server-dev-$(PG_MAJOR)." >&2; exit 1
endif

# SQLSTATEs: one table, src/errcodes.txt (tools/errcodes.sh)
build/errcodes.h: src/errcodes.txt tools/errcodes.sh
	@mkdir -p build
	bash tools/errcodes.sh header > $@

# _PG_init calls these (src/patsvc.c)
build/areas.h: $(wildcard src/*/area.mk)
	@mkdir -p build
	{ echo '/* generated by the Makefile from src/<area>/area.mk: do not edit */'; \
	  for a in $(INIT_AREAS); do echo "extern void $${a}_init(void);"; done; \
	  printf '#define PATSVC_AREAS_INIT() do {'; \
	  for a in $(INIT_AREAS); do printf ' %s_init();' "$$a"; done; \
	  echo ' } while (0)'; } > $@

# the objects and their LLVM bitcode (with_llvm builds both, in parallel) need the generated headers first
$(OBJS) $(OBJS:.o=.bc): $(GENERATED_HEADERS)

# README's SQLSTATE table, rewritten from src/errcodes.txt
.PHONY: readme-sqlstates
readme-sqlstates:
	bash tools/errcodes.sh readme > README.md.new && mv README.md.new README.md

$(INSTALL_SQL): $(SQL_SOURCES) Makefile $(wildcard src/*/area.mk)
	@mkdir -p build
	cat $(SQL_SOURCES) > $@

define upgrade_rule
build/$(EXTENSION)--$(1).sql: Makefile $(sort $(wildcard src/upgrade/$(1)/*.sql))
	@mkdir -p build
	printf '%s\n' '-- generated by the Makefile from src/upgrade/$(1)/*.sql' \
	    '\echo Use "ALTER EXTENSION $(EXTENSION) UPDATE" to load this file. \quit' > $$@
	cat $(sort $(wildcard src/upgrade/$(1)/*.sql)) >> $$@
endef
$(foreach s,$(UPGRADE_STEPS),$(eval $(call upgrade_rule,$(s))))

all: $(INSTALL_SQL) $(UPGRADE_SQL)

.PHONY: test demo bench stage print-hardened print-hardened-isolation print-planned
test:
	@bash tools/test.sh
demo:
	@bash tools/demo.sh
bench:
	@bash tools/bench.sh
# Strict build staged for a throw-away cluster (tools/lib.sh: build_stage).
stage:
	@bash -c 'source tools/lib.sh && ensure_deps && build_stage'

print-hardened:
	@echo $(strip $(REGRESS_HARDENED))

print-hardened-isolation:
	@echo $(strip $(ISOLATION_HARDENED))

# the pg_regress and isolation tests one installcheck is meant to run (tools/suites.sh)
print-planned:
	@echo $(strip $(REGRESS) $(ISOLATION))
