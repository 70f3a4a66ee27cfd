-- Routes for outbound mail, like Postfix's transport maps: mail for `domain` (or, with a
-- leading dot, its subdomains) goes to `nexthop` instead of the domain's MX.
CREATE TABLE transports (
    domain          TEXT PRIMARY KEY,
    nexthop         TEXT NOT NULL,            -- [host]:port (no MX lookup) or host:port (MX of host)
    created_at      BIGINT NOT NULL
);
