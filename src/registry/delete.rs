//! Deleting a subject or one version, the use case behind `schemactl delete`: a soft delete,
//! and with `permanent` the permanent delete after it (Confluent refuses a permanent delete
//! that no soft delete preceded). [`Deletion::prepare`] names exactly what will go, so the
//! question a person is asked is worth answering; [`Deletion::run`] deletes it.

use super::model::{VersionRef, codes};
use super::{RegistryClient, RegistryError};
use serde::Serialize;

/// What a delete will remove, resolved against the registry.
#[derive(Clone, Debug)]
pub struct Deletion {
    /// The subject.
    pub subject: String,
    /// The version, as a number (`latest` resolved); `None` for the whole subject.
    pub version: Option<i32>,
    /// Whether the delete is for good.
    pub permanent: bool,
    /// The question to confirm it by: what goes, and where.
    pub question: String,
}

/// Why a delete did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// The registry refused or failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A soft delete of something already soft-deleted (only `--permanent` is left to do).
    #[error("already soft-deleted")]
    AlreadySoftDeleted,
}

impl crate::Classified for DeleteError {
    /// The exit code: the registry error's own; deleting twice softly is the input's fault.
    fn exit(&self) -> crate::Exit {
        match self {
            DeleteError::Registry(e) => e.exit(),
            DeleteError::AlreadySoftDeleted => crate::Exit::Usage,
        }
    }
}

/// The outcome of a delete: the `--format json` document of `schemactl delete`.
#[derive(Debug, Serialize)]
pub struct Deleted {
    /// The registry's URL.
    pub registry: String,
    /// The subject.
    pub subject: String,
    /// The version, when one version was deleted.
    pub version: Option<i32>,
    /// The versions soft-deleted by this run.
    pub soft_deleted: Vec<i32>,
    /// The versions deleted for good by this run.
    pub permanently_deleted: Vec<i32>,
}

/// The versions as a person reads them: `1, 2, 3`.
pub fn list(versions: &[i32]) -> String {
    versions
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Deletion {
    /// Resolves what `subject` (or `subject@version`) names; fails when it does not exist.
    pub async fn prepare(
        client: &RegistryClient,
        subject: &str,
        version: Option<VersionRef>,
        permanent: bool,
    ) -> Result<Deletion, RegistryError> {
        let url = client.url();
        let how = if permanent {
            "permanently delete"
        } else {
            "soft-delete"
        };
        let (question, version) = match version {
            Some(wanted) => {
                let number = match wanted {
                    VersionRef::Number(n) => n,
                    VersionRef::Latest => {
                        client.version(subject, VersionRef::Latest).await?.version
                    }
                };
                (
                    format!("{how} version {number} of subject \"{subject}\" at {url}"),
                    Some(number),
                )
            }
            None => match client.versions(subject).await {
                Ok(live) => (
                    format!(
                        "{how} subject \"{subject}\" (versions {}) at {url}",
                        list(&live)
                    ),
                    None,
                ),
                // Already soft-deleted: only a permanent delete is left to do.
                Err(e) if permanent && e.is_code(&[codes::SUBJECT_NOT_FOUND]) => (
                    format!("{how} soft-deleted subject \"{subject}\" at {url}"),
                    None,
                ),
                Err(e) => return Err(e),
            },
        };
        Ok(Deletion {
            subject: subject.to_string(),
            version,
            permanent,
            question,
        })
    }

    /// Deletes it: soft first, then (when permanent) for good.
    pub async fn run(&self, client: &RegistryClient) -> Result<Deleted, DeleteError> {
        let subject = &self.subject;
        let permanent = self.permanent;
        let mut soft = Vec::new();
        let mut hard = Vec::new();
        let soft_gone = [codes::SUBJECT_SOFT_DELETED, codes::VERSION_SOFT_DELETED];
        let result = async {
            match self.version {
                None => match client.delete_subject(subject, false).await {
                    Ok(v) => soft = v,
                    Err(e) if permanent && e.is_code(&soft_gone) => {}
                    Err(e) if permanent && e.is_code(&[codes::SUBJECT_NOT_FOUND]) => {}
                    Err(e) => return Err(e),
                },
                Some(n) => match client
                    .delete_version(subject, VersionRef::Number(n), false)
                    .await
                {
                    Ok(v) => soft = vec![v],
                    Err(e) if permanent && e.is_code(&soft_gone) => {}
                    Err(e) => return Err(e),
                },
            }
            if permanent {
                hard = match self.version {
                    None => client.delete_subject(subject, true).await?,
                    Some(n) => vec![
                        client
                            .delete_version(subject, VersionRef::Number(n), true)
                            .await?,
                    ],
                };
            }
            Ok(())
        }
        .await;
        match result {
            Err(e) if e.is_code(&soft_gone) => Err(DeleteError::AlreadySoftDeleted),
            Err(e) => Err(DeleteError::Registry(e)),
            Ok(()) => Ok(Deleted {
                registry: client.url().to_string(),
                subject: subject.clone(),
                version: self.version,
                soft_deleted: soft,
                permanently_deleted: hard,
            }),
        }
    }
}
