-- Quotas (C14): pages an account, and each of its users, may send per UTC
-- day and per calendar month (0: no limit), set with the plan by provider
-- operators; and the notices sent at 80 % and 100 % of each, once per
-- period (scope: 'account', or the id of the user whose own quota it is).

ALTER TABLE billing_plans ADD COLUMN quota_account_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE billing_plans ADD COLUMN quota_account_month INTEGER NOT NULL DEFAULT 0;
ALTER TABLE billing_plans ADD COLUMN quota_user_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE billing_plans ADD COLUMN quota_user_month INTEGER NOT NULL DEFAULT 0;

CREATE TABLE quota_notices (
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  scope         TEXT NOT NULL,
  period        TEXT NOT NULL CHECK (period IN ('day', 'month')),
  period_start  INTEGER NOT NULL,
  level         INTEGER NOT NULL CHECK (level IN (80, 100)),
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (account_id, scope, period, period_start, level)
);

CREATE INDEX faxes_account_created ON faxes (account_id, direction, created_at);
