//! The identity read model (users, sessions), read for authentication and administration.
