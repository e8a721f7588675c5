-- Services now check the scopes their routes need (chat:write, llm:use, ...). The owner key made
-- with each org (bootstrap, POST /admin/v1/orgs) carried only admin:read and admin:write, so it
-- would lose the chat the README starts with. Such keys get no list, that is their owner's role
-- defaults (every scope for an owner), as new owner keys are made. Keys people made themselves keep
-- their lists: a narrow key stays narrow.
UPDATE api_keys
   SET scopes = '{}'
 WHERE name = 'owner key'
   AND scopes = ARRAY['admin:read', 'admin:write']::text[];
