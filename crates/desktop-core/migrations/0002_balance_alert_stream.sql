-- The balance row, the low-balance alert state and the last stream event handled;
-- an existing cache gets its balance row from the cached account.
CREATE TABLE balance (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    amount_minor INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    synced_at    INTEGER NOT NULL   -- ms since the epoch; last time the server confirmed it
);
CREATE TABLE low_balance_alert (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    state      TEXT    NOT NULL,    -- 'armed' | 'fired'
    changed_at INTEGER NOT NULL
);
CREATE TABLE event_stream (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id INTEGER NOT NULL
);
INSERT INTO balance (id, amount_minor, currency, synced_at)
    SELECT 1, json_extract(server_view, '$.balance.amountMinor'),
              json_extract(server_view, '$.balance.currency'), coalesce(synced_at, 0)
    FROM account WHERE id = 1 AND json_extract(server_view, '$.balance.amountMinor') IS NOT NULL;
