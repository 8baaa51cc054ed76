//! Microsoft Sentinel table schemas, a seeded synthetic data generator and
//! labelled attack scenarios.
//!
//! - [`schema()`], [`schemas`], [`table_names`]: typed schemas of SigninLogs,
//!   AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs,
//!   AADManagedIdentitySignInLogs, AuditLogs and AADUserRiskEvents.
//! - [`generate`]: a deterministic generator of those tables for a synthetic
//!   tenant, with the [`ScenarioId`] scenarios injected and labelled.
//!
//! ```
//! use kqlite_sentinel::{default_dataset_options, generate_tables};
//!
//! let mut opts = default_dataset_options();
//! opts.rows = 2_000;
//! let data = generate_tables(&opts, &["SigninLogs"]).unwrap();
//! let signins = data.table("SigninLogs").unwrap();
//! assert!(signins.num_rows() >= 2_000);
//! assert!(data.labels.num_rows() > 0);
//! ```

mod background;
pub mod catalog;
mod columns;
mod events;
mod generator;
mod materialize;
mod reference;
mod rng;
mod scenarios;
pub mod schema;
pub mod schema_data;
pub mod schema_file;
pub mod shapes;
pub mod synthetic;
pub mod tables;
mod tenant;

pub use generator::{
    default_dataset_options, generate, generate_tables, Dataset, GenError, GenOptions, DEFAULT_NOW,
};
pub use scenarios::{ScenarioId, ScenarioKind, ScenarioSelection, UnknownScenario};
pub use schema::{schema, schemas, table_names};
pub use synthetic::{generate_any, generate_dataset, SyntheticOptions};
pub mod coverage;
pub mod detection_test;
pub mod inputs;
pub mod rule;
pub mod score;
pub mod workspace_functions;
