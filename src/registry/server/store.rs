//! The registry's durable store: one SQLite database in WAL mode with `synchronous=FULL`, so a
//! registration is on disk before it is acknowledged and survives `kill -9` (and power loss).
//!
//! The store only persists; [`super::registry`] keeps the whole registry in memory for reading
//! and writes every change here first. Schema rows are never deleted and ids come from an
//! `AUTOINCREMENT` key, so an id never names a different schema, even after permanent deletes.

use rusqlite::{Connection, params};
use std::fs::File;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The database file inside `--data`.
pub const DB_FILE: &str = "registry.sqlite3";
/// The lock file that keeps a second server off the same data directory.
pub const LOCK_FILE: &str = "registry.lock";

const SCHEMA_VERSION: i64 = 1;

const MIGRATION: &str = "
CREATE TABLE IF NOT EXISTS schemas (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    schema_type TEXT NOT NULL,
    schema      TEXT NOT NULL,
    refs        TEXT NOT NULL,
    metadata    TEXT,
    rule_set    TEXT
);
CREATE TABLE IF NOT EXISTS versions (
    subject   TEXT NOT NULL,
    version   INTEGER NOT NULL,
    schema_id INTEGER NOT NULL REFERENCES schemas(id),
    deleted   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS global_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subject_config (
    subject       TEXT PRIMARY KEY,
    compatibility TEXT,
    policy        TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subject_config_contract (
    subject TEXT PRIMARY KEY,
    value   TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subject_mode (
    subject TEXT PRIMARY KEY,
    mode    TEXT NOT NULL
) WITHOUT ROWID;
";

/// Opening the store failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The data directory could not be created or locked.
    #[error("cannot use data directory {dir}: {source}")]
    Dir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another process serves the same data directory.
    #[error(
        "data directory {0} is in use by another schemactl registry (it holds {LOCK_FILE}); stop it or choose another --data"
    )]
    Locked(PathBuf),
    /// The database was written by a newer schemactl.
    #[error(
        "{path} has store format {found}, newer than this schemactl understands ({SCHEMA_VERSION})"
    )]
    TooNew {
        /// The database file.
        path: String,
        /// Its format version.
        found: i64,
    },
    /// The data does not make sense (edited by hand?).
    #[error("{path}: corrupt registry data: {reason}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What is wrong.
        reason: CorruptData,
    },
    /// SQLite failed.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// Why.
        source: rusqlite::Error,
    },
}

impl crate::Classified for StoreError {
    /// The exit code: the registry's own storage failed, which is no fault of the input.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Infrastructure
    }
}

/// What is wrong with stored rows that do not make sense.
#[derive(Debug, Error)]
pub enum CorruptData {
    /// A version row names an id outside the range of ids.
    #[error("schema id out of range")]
    VersionIdOutOfRange,
    /// A schema row's id is outside the range of ids.
    #[error("schema id {0} out of range")]
    SchemaIdOutOfRange(i64),
    /// A schema row's references are not a JSON list of references.
    #[error("schema {id}: bad references: {source}")]
    References {
        /// The schema id.
        id: i32,
        /// Why they do not parse.
        source: serde_json::Error,
    },
    /// A schema row's metadata or rule set is not JSON.
    #[error("schema {id}: bad metadata or rule set: {source}")]
    MetadataOrRuleSet {
        /// The schema id.
        id: i32,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// A schema row's text is not JSON.
    #[error("schema {id}: stored text is not JSON: {source}")]
    NotJson {
        /// The schema id.
        id: i32,
        /// Why it does not parse.
        source: serde_json::Error,
    },
}

/// A schema row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaRow {
    /// The global id.
    pub id: i64,
    /// `JSON`.
    pub schema_type: String,
    /// The schema text as served.
    pub schema: String,
    /// The references as a JSON array.
    pub refs: String,
    /// Metadata as JSON.
    pub metadata: Option<String>,
    /// Rule set as JSON.
    pub rule_set: Option<String>,
}

/// A version row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRow {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
    /// The schema's id.
    pub schema_id: i64,
    /// Soft-deleted.
    pub deleted: bool,
}

/// A subject's own compatibility settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectConfigRow {
    /// The subject.
    pub subject: String,
    /// The level, if set.
    pub compatibility: Option<String>,
    /// The policy, if set.
    pub policy: Option<String>,
}

/// Everything in the store, as loaded at start-up.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every schema, by ascending id.
    pub schemas: Vec<SchemaRow>,
    /// Every version row.
    pub versions: Vec<VersionRow>,
    /// Global settings (`compatibility`, `policy`, `mode`).
    pub global: Vec<(String, String)>,
    /// Subject-level compatibility settings.
    pub subject_configs: Vec<SubjectConfigRow>,
    /// Subject-level modes.
    pub subject_modes: Vec<(String, String)>,
    /// Subject-level data-contract defaults and overrides, as JSON.
    pub subject_contracts: Vec<(String, String)>,
}

/// The open database. Not `Sync`: the registry serialises writers behind one mutex.
pub struct Db {
    conn: Connection,
    location: String,
    // Held for the life of the server: the OS releases it when the process dies, even by SIGKILL.
    _lock: Option<File>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("location", &self.location)
            .finish()
    }
}

impl Db {
    /// Opens (creating if needed) the store in `dir`, or an in-memory store when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<Db, StoreError> {
        let (conn, location, lock) = match dir {
            Some(dir) => {
                let io = |source| StoreError::Dir {
                    dir: dir.to_path_buf(),
                    source,
                };
                std::fs::create_dir_all(dir).map_err(io)?;
                let lock = File::options()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(dir.join(LOCK_FILE))
                    .map_err(io)?;
                match lock.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => {
                        return Err(StoreError::Locked(dir.to_path_buf()));
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
                }
                let path = dir.join(DB_FILE);
                let location = path.display().to_string();
                let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
                    path: location.clone(),
                    source,
                })?;
                (conn, location, Some(lock))
            }
            None => {
                let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
                    path: ":memory:".into(),
                    source,
                })?;
                (conn, ":memory:".to_string(), None)
            }
        };
        let mut db = Db {
            conn,
            location,
            _lock: lock,
        };
        db.migrate().map_err(|source| StoreError::Sqlite {
            path: db.location.clone(),
            source,
        })?;
        let found: i64 = db
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|source| StoreError::Sqlite {
                path: db.location.clone(),
                source,
            })?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: db.location.clone(),
                found,
            });
        }
        Ok(db)
    }

    /// Where the data lives: a file path, or `:memory:`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Whether the data survives the process.
    pub fn is_durable(&self) -> bool {
        self._lock.is_some()
    }

    fn migrate(&mut self) -> rusqlite::Result<()> {
        // WAL lets readers of other tools (sqlite3 CLI, backups) run beside the server; FULL
        // fsyncs the WAL on every commit, so an acknowledged write survives power loss too.
        let _mode: String =
            self.conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version < SCHEMA_VERSION {
            let tx = self.conn.transaction()?;
            tx.execute_batch(MIGRATION)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Reads everything.
    pub fn load(&self) -> rusqlite::Result<Snapshot> {
        let schemas = self
            .conn
            .prepare(
                "SELECT id, schema_type, schema, refs, metadata, rule_set FROM schemas ORDER BY id",
            )?
            .query_map([], |r| {
                Ok(SchemaRow {
                    id: r.get(0)?,
                    schema_type: r.get(1)?,
                    schema: r.get(2)?,
                    refs: r.get(3)?,
                    metadata: r.get(4)?,
                    rule_set: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let versions = self
            .conn
            .prepare("SELECT subject, version, schema_id, deleted FROM versions ORDER BY subject, version")?
            .query_map([], |r| {
                Ok(VersionRow {
                    subject: r.get(0)?,
                    version: r.get(1)?,
                    schema_id: r.get(2)?,
                    deleted: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let global = self
            .conn
            .prepare("SELECT key, value FROM global_settings")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let subject_configs = self
            .conn
            .prepare("SELECT subject, compatibility, policy FROM subject_config")?
            .query_map([], |r| {
                Ok(SubjectConfigRow {
                    subject: r.get(0)?,
                    compatibility: r.get(1)?,
                    policy: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let subject_modes = self
            .conn
            .prepare("SELECT subject, mode FROM subject_mode")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let subject_contracts = self
            .conn
            .prepare("SELECT subject, value FROM subject_config_contract")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Snapshot {
            schemas,
            versions,
            global,
            subject_configs,
            subject_modes,
            subject_contracts,
        })
    }

    /// Adds a version, inserting its schema first when `new_schema` is given (its `id` is used
    /// when positive, else assigned). Returns the schema id. One transaction, durable on return.
    pub fn add_version(
        &mut self,
        new_schema: Option<&SchemaRow>,
        subject: &str,
        version: i32,
        schema_id: i64,
    ) -> rusqlite::Result<i64> {
        let tx = self.conn.transaction()?;
        let id = match new_schema {
            Some(s) => {
                tx.prepare_cached(
                    "INSERT INTO schemas (id, schema_type, schema, refs, metadata, rule_set) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    (s.id > 0).then_some(s.id),
                    s.schema_type,
                    s.schema,
                    s.refs,
                    s.metadata,
                    s.rule_set
                ])?;
                tx.last_insert_rowid()
            }
            None => schema_id,
        };
        tx.prepare_cached(
            "INSERT INTO versions (subject, version, schema_id, deleted) VALUES (?1, ?2, ?3, 0)",
        )?
        .execute(params![subject, version, id])?;
        tx.commit()?;
        Ok(id)
    }

    /// Soft-deletes versions of a subject.
    pub fn soft_delete(&mut self, subject: &str, versions: &[i32]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE versions SET deleted = 1 WHERE subject = ?1 AND version = ?2",
            )?;
            for v in versions {
                stmt.execute(params![subject, v])?;
            }
        }
        tx.commit()
    }

    /// Permanently deletes versions of a subject; with `whole_subject`, its settings too.
    pub fn hard_delete(
        &mut self,
        subject: &str,
        versions: &[i32],
        whole_subject: bool,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("DELETE FROM versions WHERE subject = ?1 AND version = ?2")?;
            for v in versions {
                stmt.execute(params![subject, v])?;
            }
        }
        if whole_subject {
            tx.execute("DELETE FROM subject_config WHERE subject = ?1", [subject])?;
            tx.execute(
                "DELETE FROM subject_config_contract WHERE subject = ?1",
                [subject],
            )?;
            tx.execute("DELETE FROM subject_mode WHERE subject = ?1", [subject])?;
        }
        tx.commit()
    }

    /// Sets (or with `None` removes) a global setting.
    pub fn set_global(&mut self, key: &str, value: Option<&str>) -> rusqlite::Result<()> {
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO global_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => self
                .conn
                .execute("DELETE FROM global_settings WHERE key = ?1", [key])?,
        };
        Ok(())
    }

    /// Sets (or with `None` removes) a subject's compatibility settings.
    pub fn set_subject_config(
        &mut self,
        subject: &str,
        config: Option<(Option<&str>, Option<&str>)>,
    ) -> rusqlite::Result<()> {
        match config {
            Some((compatibility, policy)) => self.conn.execute(
                "INSERT INTO subject_config (subject, compatibility, policy) VALUES (?1, ?2, ?3)
                 ON CONFLICT(subject) DO UPDATE SET compatibility = excluded.compatibility, policy = excluded.policy",
                params![subject, compatibility, policy],
            )?,
            None => self
                .conn
                .execute("DELETE FROM subject_config WHERE subject = ?1", [subject])?,
        };
        Ok(())
    }

    /// Sets (or with `None` removes) a subject's data-contract defaults and overrides (JSON).
    pub fn set_subject_contract(
        &mut self,
        subject: &str,
        value: Option<&str>,
    ) -> rusqlite::Result<()> {
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO subject_config_contract (subject, value) VALUES (?1, ?2)
                 ON CONFLICT(subject) DO UPDATE SET value = excluded.value",
                params![subject, v],
            )?,
            None => self.conn.execute(
                "DELETE FROM subject_config_contract WHERE subject = ?1",
                [subject],
            )?,
        };
        Ok(())
    }

    /// Sets (or with `None` removes) a subject's mode.
    pub fn set_subject_mode(&mut self, subject: &str, mode: Option<&str>) -> rusqlite::Result<()> {
        match mode {
            Some(m) => self.conn.execute(
                "INSERT INTO subject_mode (subject, mode) VALUES (?1, ?2)
                 ON CONFLICT(subject) DO UPDATE SET mode = excluded.mode",
                params![subject, m],
            )?,
            None => self
                .conn
                .execute("DELETE FROM subject_mode WHERE subject = ?1", [subject])?,
        };
        Ok(())
    }

    /// The journal mode in effect (`wal` on disk, `memory` in memory).
    pub fn journal_mode(&self) -> rusqlite::Result<String> {
        self.conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str) -> SchemaRow {
        SchemaRow {
            id: 0,
            schema_type: "JSON".into(),
            schema: text.into(),
            refs: "[]".into(),
            metadata: None,
            rule_set: None,
        }
    }

    #[test]
    fn survives_reopen_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut db = Db::open(Some(dir.path())).unwrap();
            assert_eq!(db.journal_mode().unwrap(), "wal");
            let id = db.add_version(Some(&row("{}")), "s", 1, 0).unwrap();
            assert_eq!(id, 1);
            db.add_version(None, "t", 1, id).unwrap();
            db.set_global("compatibility", Some("FULL")).unwrap();
            db.set_subject_config("s", Some((Some("NONE"), Some("LENIENT"))))
                .unwrap();
            db.set_subject_mode("s", Some("READONLY")).unwrap();
            db.soft_delete("t", &[1]).unwrap();
        }
        let db = Db::open(Some(dir.path())).unwrap();
        let snap = db.load().unwrap();
        assert_eq!(snap.schemas, vec![SchemaRow { id: 1, ..row("{}") }]);
        assert_eq!(snap.versions.len(), 2);
        assert!(snap.versions[1].deleted);
        assert_eq!(snap.global, vec![("compatibility".into(), "FULL".into())]);
        assert_eq!(snap.subject_configs[0].policy.as_deref(), Some("LENIENT"));
        assert_eq!(snap.subject_modes, vec![("s".into(), "READONLY".into())]);
    }

    #[test]
    fn a_second_server_cannot_open_the_same_directory() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Db::open(Some(dir.path())).unwrap();
        let err = Db::open(Some(dir.path())).unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
    }
}
