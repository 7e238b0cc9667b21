-- Accounts, sessions, verification codes, throttling, idempotency and the outbox.
-- Instants are INTEGER milliseconds since the Unix epoch (UTC).

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    currency      TEXT    NOT NULL CHECK (length(currency) = 3),
    balance_minor INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE users (
    id                     INTEGER PRIMARY KEY,
    organization_id        INTEGER NOT NULL REFERENCES organizations(id),
    name                   TEXT    NOT NULL,
    email                  TEXT    NOT NULL UNIQUE,
    phone                  TEXT,
    role                   TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'member')),
    password_hash          TEXT    NOT NULL,
    language               TEXT    NOT NULL DEFAULT 'en',
    country                TEXT,
    time_zone              TEXT    NOT NULL DEFAULT 'UTC',
    region_configured      INTEGER NOT NULL DEFAULT 0,
    notify_contact_imports TEXT    NOT NULL DEFAULT 'email',
    notify_billing         TEXT    NOT NULL DEFAULT 'email',
    low_balance_enabled    INTEGER NOT NULL DEFAULT 0,
    low_balance_threshold  INTEGER NOT NULL DEFAULT 0 CHECK (low_balance_threshold >= 0),
    low_balance_channels   TEXT    NOT NULL DEFAULT 'email,desktop',
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);

-- The account version at which each preference field last changed: an update based
-- on an older version conflicts only on the fields changed since.
CREATE TABLE field_versions (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    field   TEXT    NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (user_id, field)
) WITHOUT ROWID;

CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    device_name  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- At most one pending change per user and purpose; confirming or cancelling deletes it.
CREATE TABLE verifications (
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose         TEXT    NOT NULL CHECK (purpose IN ('email', 'phone')),
    target          TEXT    NOT NULL,
    code_hash       BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    last_sent_at    INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, purpose)
);

-- Every code sent, for the hourly and daily caps.
CREATE TABLE code_sends (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    sent_at INTEGER NOT NULL
);
CREATE INDEX code_sends_user ON code_sends (user_id, channel, sent_at);

-- Wrong-password counters, keyed by the normalized email typed (known or not), so a
-- lockout says nothing about whether an account exists.
CREATE TABLE auth_throttle (
    key          TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER,
    updated_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Messages to send, written in the same transaction as the change they tell of.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient, id);
