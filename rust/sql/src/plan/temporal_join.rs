//! Event-time temporal joins, `JOIN versioned FOR SYSTEM_TIME AS OF left.rowtime ON ...`: each
//! left row joins the version of the right (versioned) table valid at the left row's time, as
//! Flink's TemporalRowTimeJoinOperator does. The versioned table needs a primary key and a rowtime
//! attribute, and ON must equate its whole primary key with left columns.

use datafusion_sql::sqlparser::ast::{self, TableFactor};

use super::join::{joined_schema, JoinKind};
use super::query::Planner;
use super::{Node, Planned, TimeAttribute};
use crate::catalog::CatalogTable;
use crate::error::{Result, SqlError};
use crate::parse::name_parts;

/// Where a temporal join finds its times: the left rowtime column it is AS OF, and the right's
/// (the versioned table's) rowtime column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemporalTimes {
    pub left_time: usize,
    pub right_time: usize,
}

/// The `FOR SYSTEM_TIME AS OF` expression of a FROM item, if it has one.
pub fn as_of(f: &TableFactor) -> Option<&ast::Expr> {
    match f {
        TableFactor::Table { version: Some(ast::TableVersion::ForSystemTimeAsOf(e)), .. } => Some(e),
        _ => None,
    }
}

impl Planner<'_> {
    /// `left` temporally joined with the versioned table `relation` on the conjuncts of ON.
    pub(super) fn temporal_join(&self, left: Planned, relation: &TableFactor, kind: JoinKind, on: Vec<ast::Expr>, what: &str) -> Result<Planned> {
        let as_of = as_of(relation).expect("a temporal join's relation has FOR SYSTEM_TIME AS OF");
        let TableFactor::Table { name, .. } = relation else { unreachable!("as_of matched a table") };
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            // Flink's words (an IllegalStateException from its planner).
            return Err(SqlError::Unsupported(format!(
                "Unknown join type {}: a temporal join ({what}) is an INNER or a LEFT join",
                if kind == JoinKind::Right { "RIGHT" } else { "FULL" }
            )));
        }
        let right = self.plan_factor(relation)?;
        // AS OF must name a time attribute of the left input.
        let left_time = match self.column_of(as_of, &left.schema) {
            Ok(Some(i)) => i,
            _ => return Err(not_time_attribute(as_of, "is not a column of the left input", what)),
        };
        match left.schema.columns[left_time].time {
            Some(TimeAttribute::Rowtime) => {}
            Some(TimeAttribute::Proctime) => return self.lookup_join(left, right, name, kind, on, what),
            None => return Err(not_time_attribute(as_of, &format!("of type {} is not a time attribute", left.schema.columns[left_time].ty), what)),
        }
        let entry = self.catalog.get(&name_parts(name))?;
        let primary_key = match &entry.table {
            CatalogTable::Connector(t) => t.primary_key.clone(),
            _ => Vec::new(),
        };
        let table = name.to_string();
        let Some(right_time) = right.schema.columns.iter().position(|c| c.time == Some(TimeAttribute::Rowtime)) else {
            return Err(SqlError::Validation(format!(
                "Event-Time Temporal Table Join requires both primary key and row time attribute in versioned table, but no row time attribute can be found ({what}: {table})"
            )));
        };
        if primary_key.is_empty() {
            return Err(SqlError::Validation(format!(
                "Temporal Table Join requires primary key in versioned table, but no primary key can be found ({what}: {table})"
            )));
        }
        let (keys, rest, probe) = self.equi_keys(&left, &right, &on, what)?;
        let key_names: Vec<&str> = keys.right.iter().map(|&r| right.schema.columns[r].name.as_str()).collect();
        if let Some(missing) = primary_key.iter().find(|k| !key_names.contains(&k.as_str())) {
            // Flink finds no primary key among the equated columns and says so in these words.
            return Err(SqlError::Validation(format!(
                "Temporal Table Join requires primary key in versioned table, but no primary key can be found: ON must equate the primary key [{}] of {table} with the left input, '{missing}' is not equated ({what})",
                primary_key.join(", ")
            )));
        }
        let condition = self.condition(&on, &rest, &probe)?;
        let schema = joined_schema(&left, &right, kind, true);
        let times = TemporalTimes { left_time, right_time };
        Ok(Planned { node: Node::TemporalJoin { left: Box::new(left), right: Box::new(right), kind, keys, times, condition }, schema, updating: false })
    }
}

fn not_time_attribute(as_of: &ast::Expr, why: &str, what: &str) -> SqlError {
    SqlError::Validation(format!("Temporal table join currently only supports 'FOR SYSTEM_TIME AS OF' left table's time attribute field; '{as_of}' {why} ({what})"))
}
