-- The texts an owner agreed to when giving a consent (R03, C18), kept with
-- the consent as they read them, in English and French, beside their
-- version: a later change of the partner's name or of the template does not
-- change what was agreed to. NULL for consents given before this column
-- (their texts are rendered again from text_version).
ALTER TABLE consents ADD COLUMN text_en TEXT;
ALTER TABLE consents ADD COLUMN text_fr TEXT;
