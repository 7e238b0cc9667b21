-- Balance adjustments, low-balance alert state, the event history behind the live stream,
-- and delivery leases on the outbox.

CREATE TABLE balance_adjustments (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    idempotency_key TEXT    NOT NULL,
    amount_minor    INTEGER NOT NULL,
    balance_after   INTEGER NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    UNIQUE (organization_id, idempotency_key)
);

-- Whether a user's low-balance alert may fire (armed) or already fired for the current
-- crossing. No row means armed.
CREATE TABLE low_balance_state (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    armed      INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);

-- What the live stream sends. AUTOINCREMENT: ids are never reused after the history is
-- trimmed, so a Last-Event-ID always means the same event.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    user_id         INTEGER,
    session_id      TEXT,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX events_organization ON events (organization_id, id);
