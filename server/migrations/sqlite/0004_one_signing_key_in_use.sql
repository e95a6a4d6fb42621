-- At most one signing key in use (unretired): servers starting together on an empty database, or two
-- rotations at once, cannot leave two.
CREATE UNIQUE INDEX signing_keys_one_in_use ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
