//! Tables, views and inline data known to a table environment (Flink's default catalog and
//! database, `default_catalog.default_database`).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion_sql::sqlparser::ast::Query;

use crate::error::{Result, SqlError};
use crate::parse::{ColumnKind, CreateTable};
use crate::types::Typed;

pub const DEFAULT_CATALOG: &str = "default_catalog";
pub const DEFAULT_DATABASE: &str = "default_database";

/// Rows given by the program (`from_elements`, `from_pandas`, `VALUES`), already columnar, or
/// fed while the job runs (`from_data_stream`: batches from a DataStream job, until the sender
/// is dropped).
#[derive(Clone, Debug)]
pub struct InlineTable {
    pub columns: Vec<(String, Typed)>,
    pub batches: Vec<RecordBatch>,
    pub feed: Option<crate::connector::feed::Feed>,
    /// The column that is the table's rowtime attribute, its watermarks the feed's
    /// (`SOURCE_WATERMARK()`).
    pub rowtime: Option<usize>,
}

#[derive(Clone, Debug)]
pub enum CatalogTable {
    /// `CREATE TABLE ... WITH ('connector' = ...)`.
    Connector(Arc<CreateTable>),
    View { query: Box<Query>, columns: Vec<String> },
    Inline(Arc<InlineTable>),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub table: CatalogTable,
    pub temporary: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Catalog {
    tables: BTreeMap<String, Entry>,
}

/// The object name without the default catalog and database prefix.
pub fn local_name(parts: &[String]) -> Result<String> {
    match parts {
        [name] => Ok(name.clone()),
        [db, name] if db == DEFAULT_DATABASE => Ok(name.clone()),
        [cat, db, name] if cat == DEFAULT_CATALOG && db == DEFAULT_DATABASE => Ok(name.clone()),
        _ => Err(SqlError::NotFound(format!(
            "Catalog or database of '{}' does not exist; only {DEFAULT_CATALOG}.{DEFAULT_DATABASE} is available",
            parts.join(".")
        ))),
    }
}

impl Catalog {
    pub fn create(&mut self, name: &[String], table: CatalogTable, temporary: bool, if_not_exists: bool) -> Result<()> {
        let local = local_name(name)?;
        if self.tables.contains_key(&local) {
            if if_not_exists {
                return Ok(());
            }
            let kind = if matches!(table, CatalogTable::View { .. }) { "View" } else { "Table" };
            let temp = if temporary { "Temporary " } else { "" };
            return Err(SqlError::Validation(format!(
                "Could not execute CreateTable in path `{DEFAULT_CATALOG}`.`{DEFAULT_DATABASE}`.`{local}`: {temp}{kind} `{DEFAULT_CATALOG}`.`{DEFAULT_DATABASE}`.`{local}` already exists"
            )));
        }
        if let CatalogTable::Connector(t) = &table {
            if !t.options.iter().any(|(k, _)| k == "connector") {
                return Err(SqlError::Validation(format!(
                    "Table options do not contain an option key 'connector' for discovering a connector. Table `{local}`: add 'connector' = '...' to its WITH clause"
                )));
            }
        }
        self.tables.insert(local, Entry { table, temporary });
        Ok(())
    }

    pub fn drop(&mut self, name: &[String], if_exists: bool, view: bool) -> Result<()> {
        let local = local_name(name)?;
        match self.tables.get(&local) {
            Some(e) if matches!(e.table, CatalogTable::View { .. }) == view => {
                self.tables.remove(&local);
                Ok(())
            }
            _ if if_exists => Ok(()),
            _ => Err(SqlError::NotFound(format!(
                "{} with identifier '{DEFAULT_CATALOG}.{DEFAULT_DATABASE}.{local}' does not exist.",
                if view { "View" } else { "Table" }
            ))),
        }
    }

    pub fn get(&self, name: &[String]) -> Result<&Entry> {
        let local = local_name(name)?;
        self.tables.get(&local).ok_or_else(|| {
            SqlError::NotFound(format!(
                "Object '{}' not found within '{DEFAULT_CATALOG}.{DEFAULT_DATABASE}'. Available tables and views: [{}]",
                name.join("."),
                self.tables.keys().filter(|k| !k.starts_with("_oxflow")).cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// Names shown by SHOW TABLES (views included, as Flink does) or SHOW VIEWS.
    pub fn names(&self, views_only: bool) -> Vec<String> {
        self.tables
            .iter()
            .filter(|(k, _)| !k.starts_with("_oxflow"))
            .filter(|(_, e)| !views_only || matches!(e.table, CatalogTable::View { .. }))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// The physical columns a connector reads (computed columns are evaluated after the source).
pub fn physical_columns(t: &CreateTable) -> Vec<(String, Typed)> {
    t.columns
        .iter()
        .filter_map(|c| match &c.kind {
            ColumnKind::Physical(ty) => Some((c.name.clone(), ty.clone())),
            ColumnKind::Metadata { ty, is_virtual: false, .. } => Some((c.name.clone(), ty.clone())),
            _ => None,
        })
        .collect()
}

/// The option `key` of a table, if set.
pub fn option<'a>(t: &'a CreateTable, key: &str) -> Option<&'a str> {
    t.options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}
