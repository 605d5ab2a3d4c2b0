//! The documents read model (documents, shares, folders, quotas), read for the query API.
