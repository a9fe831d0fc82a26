-- Rewriting stored fax documents (docs/vault.md, "Erasure and rendered
-- documents").
-- fax_renderings: how an outbound fax's document was rendered (with a cover
-- page or not, in which language, the date its cover and header lines
-- show), so that it can be drawn again with a person's name replaced by a
-- pseudonym. Documents rendered before this table have no row: their cover
-- is known from the fax's cover_subject, their language is taken as
-- English and their date as the fax's creation.
-- doc_rewrites: documents waiting to be rewritten. An erasure adds them in
-- its own transaction; the request then rewrites them, and the retention
-- sweep takes any a crash left, so that nothing is forgotten between the
-- erasure and the rewrite. No foreign key: a document deleted meanwhile
-- leaves its row to be dropped.
CREATE TABLE fax_renderings (
  doc_id      TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  cover       INTEGER NOT NULL,
  lang        TEXT NOT NULL,
  date_ms     INTEGER NOT NULL
);
CREATE TABLE doc_rewrites (
  doc_id      TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  reason      TEXT NOT NULL,
  subject_id  TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
