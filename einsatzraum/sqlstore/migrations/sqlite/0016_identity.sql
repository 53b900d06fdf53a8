-- Identity as police IT runs it: an account's state (pending until its
-- email is confirmed, disabled by an administrator or the directory) and
-- source (local password or LDAP), single-use email tokens (confirmation,
-- password reset; only their SHA-256 is kept), the TOTP second factor
-- (secret and recovery code hashes sealed), and device scopes (a login
-- that must enrol TOTP first; an app password for one TAK device, bound
-- to one room).
ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local';

CREATE TABLE email_tokens (
    hash       BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    purpose    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    -- a registration's password (its hash), set when its own link confirms it
    password_hash TEXT
);
CREATE INDEX email_tokens_user ON email_tokens(user_id);

CREATE TABLE user_totp (
    user_id      TEXT PRIMARY KEY REFERENCES users(id),
    sealed       BLOB NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0
);

ALTER TABLE devices ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN room_id TEXT;
