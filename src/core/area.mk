# core: what every area builds on (SQL header, kept plans, SPI, running as
# owner, row caches, cache_changed(), SQLSTATEs).  See src/core/core.h.
AREAS += 00:core
