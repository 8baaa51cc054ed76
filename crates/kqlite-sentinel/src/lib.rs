//! Microsoft Sentinel table schemas, a seeded synthetic data generator and
//! labelled attack scenarios.

pub mod schema_data;
