-- An app's password policy beyond its minimum length (as migrations/sqlite/0006_password_complexity.sql).
ALTER TABLE apps ADD COLUMN password_complexity INTEGER NOT NULL DEFAULT 1 CHECK (password_complexity BETWEEN 1 AND 5);
