# core: what every area builds on (SQL header, kept plans, SPI, running as
# owner, row caches, cache_changed(), SQLSTATEs).  See src/core/core.h.
AREAS += 00:core
# core_init: the executor hooks that tell whether a statement with ON CONFLICT runs (onconflict.c)
INIT_AREAS += core
