-- Identity read models, folded from the `user-…` and `loginattempts-…` streams by the `users`
-- projection. Like every read table they can be dropped and rebuilt from the log.

-- One row per account: what the API's queries and the auth extractors read.
create table users (
    id uuid not null,
    -- Decrypted copy of the event's personal data; null once the user's key is destroyed.
    email text,
    -- Stored lower-case (handles are case-folded on input).
    handle text not null,
    role text not null,
    is_active boolean not null,
    totp_enabled boolean not null default false,
    -- Access tokens issued (iat) before this instant are refused.
    not_before timestamptz,
    created_at timestamptz not null,
    -- Global position of the last event applied to this row: the auth cache compares it with
    -- the position of a command it saw, so a lagging projection cannot undo a deactivation.
    last_position bigint not null,
    constraint users_pkey primary key (id),
    constraint users_role_check check (role in ('user', 'admin', 'auditor'))
);

-- Lookups by @handle (sharing) and by email (admin search). Not unique: uniqueness is decided by
-- the reservation streams, and a projection must never refuse an event the log accepted.
create index users_lower_handle_idx on users (lower(handle));
create index users_email_idx on users (email);

-- One row per login session (refresh-token family). Token digests stay in the event log only.
create table refresh_token_families (
    id uuid not null,
    user_id uuid not null,
    issued_at timestamptz not null,
    expires_at timestamptz not null,
    last_rotated_at timestamptz,
    rotations integer not null default 0,
    revoked_at timestamptz,
    revoke_reason text,
    reuse_detected_at timestamptz,
    constraint refresh_token_families_pkey primary key (id)
);

-- "My active sessions": live families per user.
create index refresh_token_families_user_idx on refresh_token_families (user_id, issued_at desc);

-- Every login attempt, successful or not. Attempts for unknown accounts have no user_id.
create table login_history (
    event_id uuid not null,
    user_id uuid,
    occurred_at timestamptz not null,
    succeeded boolean not null,
    -- LoginFailed's reason (bad_password, totp_invalid, unknown_account, …).
    reason text,
    -- LoginSucceeded's method (password, password_and_totp, password_and_recovery_code).
    method text,
    -- Decrypted personal data; null when not recorded or erased.
    client_ip text,
    user_agent text,
    constraint login_history_pkey primary key (event_id)
);

create index login_history_user_idx on login_history (user_id, occurred_at desc);
