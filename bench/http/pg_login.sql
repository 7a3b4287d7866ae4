-- The database work of one login, as the PostgreSQL peer runs it: find the
-- key by its hash, then the user's memberships.
SELECT k.id, k.org_id, u.id, u.email FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = :h;
SELECT o.id, o.name, m.role FROM org_members m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = 'u1' ORDER BY m.created, o.name;
