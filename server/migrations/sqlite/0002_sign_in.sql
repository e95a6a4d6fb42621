-- Sign-in by signed challenge, with throttling.

-- Server-side secrets (MAC key for stateless challenges and fake salts). Created at first start.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    secret     BLOB NOT NULL CHECK (length(secret) = 32),
    created_at INTEGER NOT NULL
);

-- Challenges already spent: the primary key makes a replay fail inside the database. Rows are purged
-- once the challenge would have expired anyway.
CREATE TABLE used_challenges (
    nonce      BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX used_challenges_by_expiry ON used_challenges (expires_at);

-- Consecutive failed password proofs per (app, username), whether or not the user exists, so the
-- throttle reveals nothing about which usernames are taken.
CREATE TABLE sign_in_failures (
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    username     TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (app_id, username)
);
