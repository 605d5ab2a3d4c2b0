//! Shadow tables for blue/green rebuilds: a schema `rebuild_<name>` holding empty copies of a
//! projection's tables, loaded first and indexed after, then swapped into `public` in one
//! transaction.

use sqlx::{PgConnection, PgPool};

use crate::error::RuntimeError;

/// `"ident"` with embedded quotes doubled.
pub(crate) fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The shadow copies of one projection's tables.
pub(crate) struct Shadow {
    /// Unquoted schema name, `rebuild_<projection>`.
    pub schema: String,
    tables: Vec<String>,
    /// Statements creating what the load does not need (non-unique indexes, exclusion
    /// constraints): run after the load, before the swap.
    deferred: Vec<String>,
}

impl Shadow {
    pub fn schema_for(projection: &str) -> String {
        format!("rebuild_{projection}")
    }

    /// Drops any leftover shadow schema and creates a fresh one with empty copies of `tables`:
    /// columns, defaults, identity, generated columns, checks, storage, storage parameters and
    /// comments of the live table; its primary key, unique constraints and unique indexes (upserts need them) under
    /// their live names; its privileges. Other indexes are deferred.
    pub async fn create(
        pool: &PgPool,
        projection: &str,
        tables: &[&str],
    ) -> Result<Self, RuntimeError> {
        let schema = Self::schema_for(projection);
        let qs = quote_ident(&schema);
        let mut tx = pool.begin().await?;
        // Catalog functions print names qualified only when they are not on the search path:
        // an empty path makes every printed name qualified, so the rewrite below is exact.
        sqlx::query!("set local search_path = ''")
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("drop schema if exists {qs} cascade"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("create schema {qs}"))
            .execute(&mut *tx)
            .await?;
        let mut deferred = Vec::new();
        for table in tables {
            let live = format!("public.{}", quote_ident(table));
            let shadow = format!("{qs}.{}", quote_ident(table));
            let oid: Option<i64> = sqlx::query_scalar!("select to_regclass($1)::oid::int8", &live)
                .fetch_one(&mut *tx)
                .await?;
            let Some(oid) = oid else {
                return Err(RuntimeError::Invalid(format!(
                    "projection {projection} lists table {table}, which does not exist in public"
                )));
            };
            // `$1::oid` is bound as the int8 it is here (`as i64`) and cast by the server.
            let foreign_keys: i64 = sqlx::query_scalar!(
                "select count(*) as \"n!\" from pg_catalog.pg_constraint \
                 where contype = 'f' and (conrelid = $1::oid or confrelid = $1::oid)",
                oid as i64
            )
            .fetch_one(&mut *tx)
            .await?;
            if foreign_keys > 0 {
                return Err(RuntimeError::Invalid(format!(
                    "table {table} of projection {projection} has foreign keys; read tables \
                     cannot be rebuilt blue/green with them"
                )));
            }
            sqlx::query(&format!(
                "create table {shadow} (like {live} including all excluding indexes)"
            ))
            .execute(&mut *tx)
            .await?;
            // `like` copies no storage parameters: a projection may depend on them (the search
            // table keeps its rows and their tsvectors inline with `toast_tuple_target`).
            let options: Option<Vec<String>> = sqlx::query_scalar!(
                "select reloptions from pg_catalog.pg_class where oid = $1::oid",
                oid as i64
            )
            .fetch_one(&mut *tx)
            .await?;
            if let Some(options) = options.filter(|o| !o.is_empty()) {
                sqlx::query(&format!(
                    "alter table {shadow} set ({})",
                    options.join(", ")
                ))
                .execute(&mut *tx)
                .await?;
            }
            // Primary key and unique constraints now (ON CONFLICT needs them); exclusion
            // constraints are indexes too: after the load.
            let constraints = sqlx::query!(
                "select conname::text as \"name!\", contype::text as \"kind!\", \
                        pg_catalog.pg_get_constraintdef(oid) as \"def!\" \
                 from pg_catalog.pg_constraint \
                 where conrelid = $1::oid and contype in ('p', 'u', 'x') order by conname",
                oid as i64
            )
            .fetch_all(&mut *tx)
            .await?;
            for c in constraints {
                let ddl = format!(
                    "alter table {shadow} add constraint {} {}",
                    quote_ident(&c.name),
                    c.def
                );
                if c.kind == "x" {
                    deferred.push(ddl);
                } else {
                    sqlx::query(&ddl).execute(&mut *tx).await?;
                }
            }
            // Indexes that back no constraint: unique ones now, the rest after the load.
            let printed_live: String =
                sqlx::query_scalar!("select $1::oid::regclass::text as \"name!\"", oid as i64)
                    .fetch_one(&mut *tx)
                    .await?;
            let indexes = sqlx::query!(
                "select pg_catalog.pg_get_indexdef(i.indexrelid) as \"def!\", \
                        i.indisunique as is_unique \
                 from pg_catalog.pg_index i \
                 where i.indrelid = $1::oid \
                   and not exists (select 1 from pg_catalog.pg_constraint c where c.conindid = i.indexrelid) \
                 order by i.indexrelid",
                oid as i64
            )
            .fetch_all(&mut *tx)
            .await?;
            for ix in indexes {
                let (def, is_unique) = (ix.def, ix.is_unique);
                let needle = format!(" ON {printed_live} USING ");
                if !def.contains(&needle) {
                    return Err(RuntimeError::Invalid(format!(
                        "cannot copy index of {table}: unexpected definition {def:?}"
                    )));
                }
                let ddl = def.replacen(&needle, &format!(" ON {shadow} USING "), 1);
                if is_unique {
                    sqlx::query(&ddl).execute(&mut *tx).await?;
                } else {
                    deferred.push(ddl);
                }
            }
            // Privileges are not part of `like`: grant what the live table grants.
            let grants = sqlx::query!(
                "select case when a.grantee = 0 then 'public' \
                             else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end as \"grantee!\", \
                        a.privilege_type as \"privilege!\" \
                 from pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a \
                 where c.oid = $1::oid",
                oid as i64
            )
            .fetch_all(&mut *tx)
            .await?;
            for g in grants {
                let (grantee, privilege) = (g.grantee, g.privilege);
                sqlx::query(&format!("grant {privilege} on {shadow} to {grantee}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(Self {
            schema,
            tables: tables.iter().map(|t| (*t).to_owned()).collect(),
            deferred,
        })
    }

    /// Creates the deferred indexes on the loaded tables and refreshes their statistics (fresh
    /// plans after the swap, see TOOLBOX.md on cached sequential-scan plans).
    pub async fn finish_load(&mut self, pool: &PgPool) -> Result<(), RuntimeError> {
        for ddl in self.deferred.drain(..) {
            sqlx::query(&ddl).execute(pool).await?;
        }
        for table in &self.tables {
            sqlx::query(&format!(
                "analyze {}.{}",
                quote_ident(&self.schema),
                quote_ident(table)
            ))
            .execute(pool)
            .await?;
        }
        Ok(())
    }

    /// Inside the caller's transaction: replaces each live table by its shadow copy and drops
    /// the shadow schema. Readers wait on the table locks for the instant it takes, then see the
    /// new tables (PostgreSQL re-resolves names after a lock wait), so no read fails.
    pub async fn swap(&self, conn: &mut PgConnection) -> Result<(), RuntimeError> {
        let qs = quote_ident(&self.schema);
        for table in &self.tables {
            let t = quote_ident(table);
            sqlx::query(&format!("drop table public.{t}"))
                .execute(&mut *conn)
                .await?;
            sqlx::query(&format!("alter table {qs}.{t} set schema public"))
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(&format!("drop schema {qs}"))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Drops the shadow schema of `projection` if it exists (after a failed or abandoned rebuild).
    pub async fn discard(pool: &PgPool, projection: &str) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "drop schema if exists {} cascade",
            quote_ident(&Self::schema_for(projection))
        ))
        .execute(pool)
        .await?;
        Ok(())
    }
}
