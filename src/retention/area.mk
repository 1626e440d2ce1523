# retention: policies, protected tables, holds, destruction with
# certificates, ledgers, hardened-mode hooks (retention_init).
AREAS      += 40:retention
INIT_AREAS += retention
