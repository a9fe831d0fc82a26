-- The sender name an account's faxes print in the header line at the top
-- of every page (with the date and time, the sending number and page n/m).
-- NULL: the account's name.
ALTER TABLE accounts ADD COLUMN fax_header TEXT;
