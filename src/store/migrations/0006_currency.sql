-- A currency per account (NULL: the provider's default, fax.currency), and
-- a rate table per currency: the price of a page by destination prefix in
-- the account's currency.

ALTER TABLE accounts ADD COLUMN currency TEXT;

CREATE TABLE rates_by_currency (
  currency        TEXT NOT NULL,
  prefix          TEXT NOT NULL,
  price_per_page  INTEGER NOT NULL,
  PRIMARY KEY (currency, prefix)
);
INSERT INTO rates_by_currency (currency, prefix, price_per_page)
  SELECT currency, prefix, price_per_page FROM rates;
DROP TABLE rates;
ALTER TABLE rates_by_currency RENAME TO rates;
