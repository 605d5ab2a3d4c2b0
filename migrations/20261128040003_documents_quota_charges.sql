-- Which documents hold a quota charge (QuotaReserved not yet QuotaReleased), for the sweeper's
-- reconciliation: a charge whose document is gone (purged, rejected, expired) after a crash
-- between the two appends is released. Part of the `documents` projection.
create table quota_charges (
    document_id uuid not null,
    user_id uuid not null,
    size_bytes bigint not null,
    charged_at timestamptz not null,
    constraint quota_charges_pkey primary key (document_id)
);
