"""Pages of the ledger: one module per page (table, case, report, map)."""
