-- A sign-in in an app that requires a verified email is refused for an unverified email only after the
-- throttle and the proof, as a blocked user's is ('email-not-verified': nothing written). Before, the
-- server refused it ahead of the throttle, so a right password could be told from a wrong one during a
-- throttle delay.
--
-- A new overload with one more parameter: servers of the previous version, still running during a
-- rolling upgrade, keep calling the 15-parameter function of 0007, which stays.
CREATE FUNCTION sealbase_spend_sign_in(
    p_app_id TEXT,
    p_username TEXT,
    p_lock BIGINT,
    p_nonce BYTEA,
    p_challenge_expires_at BIGINT,
    p_now BIGINT,
    p_user_id TEXT,
    p_login_public_key BYTEA,
    p_session_id TEXT,
    p_secret_hash BYTEA,
    p_remember_me TEXT,
    p_length_hours DOUBLE PRECISION,
    p_created_at BIGINT,
    p_expires_at BIGINT,
    p_delays BIGINT[],
    p_email_must_be_verified BOOLEAN,
    OUT result TEXT,
    OUT result_locked_until BIGINT
)
LANGUAGE plpgsql AS $$
DECLARE
    v_locked TEXT;
    v_failures BIGINT;
    v_locked_until BIGINT;
    v_delay BIGINT;
    v_blocked BOOLEAN;
    v_email_verified BOOLEAN;
BEGIN
    v_locked := pg_advisory_xact_lock(p_lock)::TEXT;
    -- The expiry again on the clock of now that the lock is held: a request that waited past it could
    -- otherwise spend a nonce that cleanup has already deleted as expired.
    IF p_challenge_expires_at <= (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT THEN
        result := 'challenge-not-valid';
        RETURN;
    END IF;
    INSERT INTO used_challenges (nonce, expires_at) VALUES (p_nonce, p_challenge_expires_at)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        result := 'challenge-not-valid';
        RETURN;
    END IF;
    SELECT f.failures, f.locked_until INTO v_failures, v_locked_until
    FROM sign_in_failures f WHERE f.app_id = p_app_id AND f.username = p_username;
    IF v_locked_until > p_now THEN
        -- Refused: the challenge stays unspent.
        DELETE FROM used_challenges WHERE nonce = p_nonce;
        result := 'throttled';
        result_locked_until := v_locked_until;
        RETURN;
    END IF;
    IF p_user_id IS NOT NULL THEN
        SELECT u.blocked, u.email_verified INTO v_blocked, v_email_verified FROM users u
        WHERE u.id = p_user_id AND u.username = p_username AND u.login_public_key = p_login_public_key
        FOR SHARE;
    END IF;
    IF v_blocked IS NULL THEN
        -- The user's own count (seed 001's login_attempts) beside the throttle's, which also counts
        -- usernames no one has.
        UPDATE users SET login_attempts = LEAST(login_attempts + 1, 20000)
        WHERE app_id = p_app_id AND username = p_username;
        v_failures := COALESCE(v_failures, 0) + 1;
        v_delay := p_delays[LEAST(v_failures, array_length(p_delays, 1))];
        INSERT INTO sign_in_failures AS f (app_id, username, failures, locked_until, updated_at)
        VALUES (p_app_id, p_username, v_failures,
                CASE WHEN v_delay > 0 THEN p_now + v_delay ELSE COALESCE(v_locked_until, 0) END, p_now)
        ON CONFLICT (app_id, username) DO UPDATE SET failures = excluded.failures,
            locked_until = excluded.locked_until, updated_at = excluded.updated_at;
        result := 'failed';
        RETURN;
    END IF;
    IF v_blocked THEN
        -- A right proof for a blocked user opens nothing and counts nothing; the challenge stays unspent.
        DELETE FROM used_challenges WHERE nonce = p_nonce;
        result := 'blocked';
        RETURN;
    END IF;
    IF p_email_must_be_verified AND NOT v_email_verified THEN
        -- Told only after the throttle and the proof; nothing written, the challenge stays unspent.
        DELETE FROM used_challenges WHERE nonce = p_nonce;
        result := 'email-not-verified';
        RETURN;
    END IF;
    IF v_failures IS NOT NULL THEN
        DELETE FROM sign_in_failures f WHERE f.app_id = p_app_id AND f.username = p_username;
    END IF;
    UPDATE users SET login_attempts = 0 WHERE id = p_user_id AND login_attempts <> 0;
    INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at, expires_at)
    VALUES (p_session_id, p_user_id, p_secret_hash, p_remember_me, p_length_hours, p_created_at, p_expires_at);
    result := 'accepted';
END
$$;
