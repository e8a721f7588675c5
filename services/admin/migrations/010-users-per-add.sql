-- Adding a member by email makes a new user, even when another org has one with that address:
-- looking it up joined a person to an org without their consent and showed that org their name,
-- and the answer told whether the address was in use. An address is unique within an org (checked
-- by the add, under a lock), no longer across the platform.

DROP INDEX users_email;
CREATE INDEX users_email ON users (lower(email));
