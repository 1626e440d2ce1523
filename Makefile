# patsvc -- PGXS build.  `make test`, `make demo` and `make bench` are the
# entry points for people; they call tools/*.sh, which install what is
# missing, build, stage and run a throw-away cluster.  Everything else here
# is ordinary PGXS.

EXTENSION   = patsvc
EXTVERSION := $(shell awk -F"'" '/^default_version/ {print $$2}' $(EXTENSION).control)
PG_MAJOR   ?= 15
PG_CONFIG  ?= $(firstword $(wildcard /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_config) pg_config)

# ---- C ---------------------------------------------------------------------
MODULE_big  = $(EXTENSION)
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))
PGFILEDESC  = "patsvc - patient services for medical offices"
PG_CPPFLAGS = -I$(CURDIR)/src -DPATSVC_VERSION=\"$(EXTVERSION)\"
# Strict build: used by tools/*.sh and CI.  PATSVC_ASSERT=1 adds assertions.
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers -Wno-cast-function-type
ifeq ($(PATSVC_ASSERT),1)
PG_CFLAGS  += -DUSE_ASSERT_CHECKING
endif

# ---- SQL: the install script is generated from the sources beside the C ---
# Order matters: core first, then each concern.  Code types are stamped out
# from one template (src/codes/codetype.sql.in), one copy per type.
CODE_TYPES  = icd10cm icd10pcs cpt hcpcs code_modifier npi ndc mbi
SQL_AREAS   = codes scheduling retention
SQL_SOURCES = src/patsvc.sql build/codetypes.sql \
              $(foreach a,$(SQL_AREAS),$(sort $(wildcard src/$(a)/*.sql)))
INSTALL_SQL = build/$(EXTENSION)--$(EXTVERSION).sql
DATA_built  = $(INSTALL_SQL)
DATA        = $(wildcard src/upgrade/$(EXTENSION)--*--*.sql)
DOCS        = README.md
EXTRA_CLEAN = build results output_iso regression.diffs regression.out

# ---- tests -----------------------------------------------------------------
# pg_regress: sql/*.sql vs expected/*.out.  Files named hardened_* need
# shared_preload_libraries=patsvc and run in a second cluster (tools/test.sh).
REGRESS_ALL      = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_HARDENED = $(filter hardened_%,$(REGRESS_ALL))
REGRESS         ?= $(filter-out hardened_%,$(REGRESS_ALL))
REGRESS_OPTS     = --load-extension=$(EXTENSION)
# isolation: test/specs/*.spec vs test/expected/*.out; hardened_* likewise in the second cluster
ISOLATION_ALL      = $(basename $(notdir $(sort $(wildcard test/specs/*.spec))))
ISOLATION_HARDENED = $(filter hardened_%,$(ISOLATION_ALL))
ISOLATION       ?= $(filter-out hardened_%,$(ISOLATION_ALL))
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

build/codetypes.sql: src/codes/codetype.sql.in $(EXTENSION).control Makefile
	@mkdir -p build
	for t in $(CODE_TYPES); do sed "s/@TYPE@/$$t/g" $<; done > $@

$(INSTALL_SQL): $(SQL_SOURCES) Makefile
	@mkdir -p build
	cat $(SQL_SOURCES) > $@

all: $(INSTALL_SQL)

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
	@echo $(REGRESS_HARDENED)

print-hardened-isolation:
	@echo $(ISOLATION_HARDENED)

# the pg_regress and isolation tests one installcheck is meant to run (tools/suites.sh)
print-planned:
	@echo $(REGRESS) $(ISOLATION)
