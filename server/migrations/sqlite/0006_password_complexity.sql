-- An app's password policy beyond its minimum length: how many of the five password practices a
-- password must follow (docs/protocol.md §2.6). 1, the default, asks for any one.
ALTER TABLE apps ADD COLUMN password_complexity INTEGER NOT NULL DEFAULT 1 CHECK (password_complexity BETWEEN 1 AND 5);
