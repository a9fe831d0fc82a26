-- The partner's logo (issue 14): a PNG or JPEG of at most 256 KiB that a
-- partner admin uploads, served from faxvault's own origin (the portal's
-- Content-Security-Policy takes images from there only). content_type is
-- the type read from the image's header; data is the image in base64.
CREATE TABLE partner_logos (
    partner_id TEXT PRIMARY KEY REFERENCES partners(id),
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
