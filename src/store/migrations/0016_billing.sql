-- Billing: a plan per account and an append-only double-entry ledger in
-- integer minor units. Every transaction has two postings that sum to zero:
-- the customer's book ('account:<id>') and a provider book ('provider:cash'
-- for top-ups and refunds, 'provider:revenue' for charges, 'provider:credits'
-- for credits given). A charge names the CDR (fax_attempts.id) it bills, at
-- most once.

CREATE TABLE billing_plans (
  account_id         TEXT PRIMARY KEY REFERENCES accounts(id),
  kind               TEXT NOT NULL CHECK (kind IN ('prepaid', 'postpaid')),
  included_pages     INTEGER NOT NULL DEFAULT 0 CHECK (included_pages >= 0),
  low_balance_minor  INTEGER NOT NULL DEFAULT 0 CHECK (low_balance_minor >= 0),
  updated_at         INTEGER NOT NULL
);

CREATE TABLE ledger_txns (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  kind          TEXT NOT NULL CHECK (kind IN ('topup', 'charge', 'credit', 'refund')),
  amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
  currency      TEXT NOT NULL,
  reason        TEXT,
  cdr_id        TEXT UNIQUE,
  actor         TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE INDEX ledger_txns_account ON ledger_txns (account_id, seq);

CREATE TABLE ledger_postings (
  txn_seq       INTEGER NOT NULL REFERENCES ledger_txns(seq),
  book          TEXT NOT NULL,
  amount_minor  INTEGER NOT NULL,
  currency      TEXT NOT NULL
);
CREATE INDEX ledger_postings_book ON ledger_postings (book, currency);

CREATE TRIGGER ledger_txns_no_update BEFORE UPDATE ON ledger_txns
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_txns_no_delete BEFORE DELETE ON ledger_txns
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
