-- What `dns publish` put into each zone, so that a later run may update or delete its own
-- records (an SPF it wrote, an address no longer configured) and never anyone else's.
CREATE TABLE dns_published (
    zone            TEXT NOT NULL,
    name            TEXT NOT NULL,
    rtype           TEXT NOT NULL,
    value           TEXT NOT NULL,
    published_at    BIGINT NOT NULL,
    PRIMARY KEY (zone, name, rtype, value)
);
