-- PostgreSQL twin of migrations/0035_invoices.sql (BIGINT).
-- Postpaid invoices (docs/billing.md). One invoice per account, calendar
-- month (UTC) and currency with something to bill, numbered without gaps per
-- issuer ('provider'): the number is taken from invoice_counters in the
-- transaction that writes the invoice, its lines and the charges it bills
-- (invoice_charges: each ledger charge is invoiced once). Payments are
-- recorded by operators or by a payment provider's signed webhook, whose
-- event ids are kept (payment_webhook_events) so that a replay is refused.
-- invoice_lang: the language of the account's invoices (en, fr). The
-- reminded_* columns and billing_holds (accounts whose sending is suspended
-- for an invoice unpaid past a grace period) are for the non-payment policy
-- and not used yet.

ALTER TABLE billing_plans ADD COLUMN invoice_lang TEXT NOT NULL DEFAULT 'en';

CREATE TABLE invoice_counters (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  issuer       TEXT PRIMARY KEY,
  last_number  BIGINT NOT NULL
);

CREATE TABLE invoices (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                   TEXT PRIMARY KEY,
  issuer               TEXT NOT NULL,
  number               BIGINT NOT NULL,
  account_id           TEXT NOT NULL REFERENCES accounts(id),
  period_start         BIGINT NOT NULL,
  period_end           BIGINT NOT NULL,
  currency             TEXT NOT NULL,
  lang                 TEXT NOT NULL,
  pages                BIGINT NOT NULL,
  included_pages       BIGINT NOT NULL,
  subtotal_minor       BIGINT NOT NULL,
  included_minor       BIGINT NOT NULL,
  total_minor          BIGINT NOT NULL,
  paid_minor           BIGINT NOT NULL DEFAULT 0,
  status               TEXT NOT NULL CHECK (status IN ('issued', 'overdue', 'paid')),
  issued_at            BIGINT NOT NULL,
  due_at               BIGINT NOT NULL,
  paid_at              BIGINT,
  reminded_before_at   BIGINT,
  reminded_after_at    BIGINT,
  UNIQUE (issuer, number),
  UNIQUE (account_id, period_start, currency)
);
CREATE INDEX invoices_account ON invoices (account_id, period_start);
CREATE INDEX invoices_open ON invoices (status, due_at);

CREATE TABLE invoice_lines (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  invoice_id    TEXT NOT NULL REFERENCES invoices(id),
  position      BIGINT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('pages', 'included')),
  pages         BIGINT NOT NULL,
  unit_minor    BIGINT NOT NULL,
  amount_minor  BIGINT NOT NULL,
  PRIMARY KEY (invoice_id, position)
);

CREATE TABLE invoice_charges (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  txn_seq     BIGINT PRIMARY KEY REFERENCES ledger_txns(seq),
  invoice_id  TEXT NOT NULL REFERENCES invoices(id)
);
CREATE INDEX invoice_charges_invoice ON invoice_charges (invoice_id);

CREATE TABLE invoice_payments (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            TEXT PRIMARY KEY,
  invoice_id    TEXT NOT NULL REFERENCES invoices(id),
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
  currency      TEXT NOT NULL,
  reference     TEXT NOT NULL,
  source        TEXT NOT NULL,
  ledger_txn    TEXT NOT NULL,
  created_at    BIGINT NOT NULL
);
CREATE INDEX invoice_payments_invoice ON invoice_payments (invoice_id, created_at);

CREATE TABLE payment_webhook_events (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  provider     TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  received_at  BIGINT NOT NULL,
  PRIMARY KEY (provider, event_id)
);

CREATE TABLE billing_holds (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id    TEXT PRIMARY KEY REFERENCES accounts(id),
  invoice_id    TEXT NOT NULL REFERENCES invoices(id),
  since         BIGINT NOT NULL
);
