-- The account, its lists and the offline edit queue.
CREATE TABLE account (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    server      TEXT    NOT NULL,   -- base URL of the server the account lives on
    user_id     INTEGER NOT NULL,
    server_view TEXT    NOT NULL,   -- the last AccountView the server sent (JSON)
    view        TEXT    NOT NULL,   -- server_view with the queued edits applied
    etag        TEXT,
    synced_at   INTEGER             -- ms since the epoch; last time the server confirmed it
);
CREATE TABLE members (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    list      TEXT    NOT NULL,
    synced_at INTEGER NOT NULL
);
CREATE TABLE sessions (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    list      TEXT    NOT NULL,
    synced_at INTEGER NOT NULL
);
CREATE TABLE edit_queue (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT    NOT NULL,
    sent            INTEGER NOT NULL DEFAULT 0,  -- 1 once a request with this key may have left
    fields          TEXT    NOT NULL,            -- JSON: [{ field, value, base }]
    created_at      INTEGER NOT NULL
);
