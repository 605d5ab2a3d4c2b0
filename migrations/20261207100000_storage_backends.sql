-- Cloud storage backends.
--
-- `storage_backends` is the read model of the users' `StorageBackend*` events (projection
-- `storage`): what a backend is called and which one is a user's default. Rebuilt from the log
-- like every read model.
create table storage_backends (
    id uuid primary key,
    owner_id uuid not null,
    kind text not null,
    -- Decrypted personal data; null once the owner is erased.
    display_name text,
    endpoint_host text,
    is_default boolean not null default false,
    created_at timestamptz not null,
    last_position bigint not null
);
create index storage_backends_owner on storage_backends (owner_id, created_at);

-- The credentials of each backend: mutable state that never enters the log. `sealed` is
-- XChaCha20-Poly1305 under DOCUVAULT_CLOUD_CREDS_KEY (24-byte nonce, then ciphertext and tag),
-- the user id and backend id its associated data, so a row copied to another user or backend
-- does not decrypt. `status` is what the last use of the credentials found.
create table cloud_credentials (
    user_id uuid not null,
    backend_id uuid not null,
    sealed bytea not null,
    status text not null default 'ok' check (status in ('ok', 'needs_reauth', 'unreachable')),
    updated_at timestamptz not null default now(),
    primary key (user_id, backend_id)
);
