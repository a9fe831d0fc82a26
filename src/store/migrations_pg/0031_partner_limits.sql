-- PostgreSQL twin of migrations/0031_partner_limits.sql (BIGINT).
-- Partner self-service beyond max_accounts (R01, R02) and consents given by
-- a signed letter (R03, C18).
--
-- What the provider lets a partner's accounts use: allowed_countries, the
-- ISO 3166 alpha-2 codes (space-separated) of the numbers they may
-- request; allowed_plans, the plan kinds (space-separated) they may be put
-- on; features, the optional features (space-separated: safebox,
-- fax_by_email, sso, scim) they may use. NULL: no limit.
ALTER TABLE partners ADD COLUMN allowed_countries TEXT;
ALTER TABLE partners ADD COLUMN allowed_plans TEXT;
ALTER TABLE partners ADD COLUMN features TEXT;
-- White-label: how the partner's customers see it, in the mails they get
-- and the portal. logo_url is https.
ALTER TABLE partners ADD COLUMN display_name TEXT;
ALTER TABLE partners ADD COLUMN support_email TEXT;
ALTER TABLE partners ADD COLUMN support_phone TEXT;
ALTER TABLE partners ADD COLUMN logo_url TEXT;

-- A consent given by a signed letter (method 'letter'): the letter is a
-- document of the account (letter_doc, encrypted like every document) and
-- the consent lends nothing until an operator approves it. review is NULL
-- for a consent given in session, else 'pending_review', 'approved' or
-- 'rejected', with who decided, when and why.
ALTER TABLE consents ADD COLUMN review TEXT;
ALTER TABLE consents ADD COLUMN letter_doc TEXT;
ALTER TABLE consents ADD COLUMN reviewed_by TEXT;
ALTER TABLE consents ADD COLUMN reviewed_at BIGINT;
ALTER TABLE consents ADD COLUMN review_reason TEXT;
CREATE INDEX consents_review ON consents (review, created_at);
