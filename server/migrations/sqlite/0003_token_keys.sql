-- authToken lifetime per app, and key rotation: a retired key stays published until every token it
-- signed has expired (publish_until), then drops out of the JWKS.
ALTER TABLE apps ADD COLUMN token_lifetime_secs INTEGER NOT NULL DEFAULT 3600 CHECK (token_lifetime_secs BETWEEN 60 AND 86400);
ALTER TABLE signing_keys ADD COLUMN publish_until INTEGER;
