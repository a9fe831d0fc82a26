-- SIP over TCP and TLS (issue 12): the transport a trunk's signalling uses
-- toward its carrier (REGISTER, OPTIONS, INVITE, BYE). "transport" keeps
-- its meaning (T.38 or G.711 preference).
ALTER TABLE trunks ADD COLUMN sip_transport TEXT NOT NULL DEFAULT 'udp'; -- udp | tcp | tls
