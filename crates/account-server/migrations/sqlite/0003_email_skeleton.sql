-- The UTS #39 skeleton of each address (account_model::Email::skeleton): two addresses
-- that look alike (a Cyrillic о for a Latin o, rn for m) share one, and this index makes
-- two accounts with look-alike addresses impossible, whichever path writes them.
-- SQL cannot compute a skeleton: the store fills the column in when it opens, for rows
-- written before it existed and whenever email_skeleton_data names other skeleton data
-- than the build's (a UNIQUE index lets the NULLs of unfilled rows stand meanwhile).
ALTER TABLE users ADD COLUMN email_skeleton TEXT;
CREATE UNIQUE INDEX users_email_skeleton ON users (email_skeleton);

-- Which skeleton data (Email::skeleton_data) the column was computed with; one row.
CREATE TABLE email_skeleton_data (
    version TEXT NOT NULL
);
