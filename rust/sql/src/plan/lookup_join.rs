//! Lookup joins, `JOIN dim FOR SYSTEM_TIME AS OF left.proctime ON left.k = dim.k`: each left row
//! joins the rows of the dimension table matching it when it arrives (Flink's LookupJoinRunner,
//! our code). The table is read whole into a cache (Flink's FULL lookup cache), reloaded when it
//! is older than `lookup.full-cache.periodic-reload.interval`. The filesystem connector serves
//! lookups here (Flink's does not; its JDBC and Hive connectors do, with these semantics).

use std::sync::Arc;

use datafusion_sql::sqlparser::ast;

use super::join::{joined_schema, JoinKind};
use super::query::Planner;
use super::{Node, PhysExpr, PlanSchema, Planned};
use crate::catalog::{option, CatalogTable};
use crate::error::{Result, SqlError};
use crate::parse::CreateTable;

/// How long a cached dimension table serves lookups before it is read again, by default (as
/// Hive's `lookup.join.cache.ttl`).
const DEFAULT_RELOAD_MS: i64 = 60 * 60 * 1000;

/// What the dimension table's rows go through between its scan and the join (computed columns,
/// a view's filter).
#[derive(Clone, Debug)]
pub enum LookupStep {
    Project { exprs: Vec<PhysExpr>, schema: PlanSchema },
    Filter(PhysExpr),
}

/// A dimension table as a lookup join reads it.
#[derive(Clone, Debug)]
pub struct LookupTable {
    pub table: Arc<CreateTable>,
    /// The scan's columns (what the connector reads).
    pub scan: PlanSchema,
    pub steps: Vec<LookupStep>,
    /// The rows as the join sees them.
    pub schema: PlanSchema,
    pub reload_ms: i64,
}

/// The scan under `p` and the steps from it to `p`; `Err` names a node that cannot be read as a
/// lookup table.
fn lookup_steps(p: &Planned, steps: &mut Vec<LookupStep>) -> std::result::Result<(Arc<CreateTable>, PlanSchema), String> {
    match &p.node {
        Node::Scan { table } => Ok((table.clone(), p.schema.clone())),
        Node::Project { input, exprs } => {
            let scan = lookup_steps(input, steps)?;
            steps.push(LookupStep::Project { exprs: exprs.clone(), schema: p.schema.clone() });
            Ok(scan)
        }
        Node::Filter { input, predicate } => {
            let scan = lookup_steps(input, steps)?;
            steps.push(LookupStep::Filter(predicate.clone()));
            Ok(scan)
        }
        // Lookups do not wait for the table's watermark.
        Node::Watermark { input, .. } => lookup_steps(input, steps),
        _ => Err(p.explain().lines().next().unwrap_or_default().trim().to_string()),
    }
}

impl Planner<'_> {
    /// `left` joined with the rows of the dimension table `right` (planned from `name`) that
    /// match each left row when it arrives.
    pub(super) fn lookup_join(&self, left: Planned, right: Planned, name: &ast::ObjectName, kind: JoinKind, on: Vec<ast::Expr>, what: &str) -> Result<Planned> {
        let table = name.to_string();
        let entry = self.catalog.get(&crate::parse::name_parts(name))?;
        let CatalogTable::Connector(t) = &entry.table else {
            return Err(SqlError::Unsupported(format!(
                "A lookup join (FOR SYSTEM_TIME AS OF a processing-time attribute) needs a connector table that supports lookups; '{table}' is not one ({what})"
            )));
        };
        let connector = option(t, "connector").unwrap_or_default();
        if connector != "filesystem" {
            return Err(SqlError::Validation(format!(
                "Connector '{connector}' of table '{table}' does not support lookups, so it cannot be joined FOR SYSTEM_TIME AS OF a processing-time attribute ({what}); the filesystem connector does"
            )));
        }
        let reload_ms = match option(t, "lookup.full-cache.periodic-reload.interval") {
            None => DEFAULT_RELOAD_MS,
            Some(text) => crate::connector::parse_duration_ms(text)
                .map_err(|e| SqlError::Validation(format!("Option 'lookup.full-cache.periodic-reload.interval' of table '{table}': {e}")))?,
        };
        let mut steps = Vec::new();
        let (scanned, scan) = lookup_steps(&right, &mut steps).map_err(|node| {
            SqlError::Unsupported(format!("A lookup join reads its dimension table '{table}' whole; its plan has {node}, which cannot be read so ({what})"))
        })?;
        let nl = left.schema.columns.len();
        let (keys, rest, probe) = self.equi_keys(&left, &right, &on, what)?;
        if keys.left.is_empty() {
            // Flink's words.
            return Err(SqlError::Validation(format!("Temporal table join requires an equality condition on fields of table [{table}] ({what})")));
        }
        let condition = self.condition(&on, &rest, &probe)?;
        let mut schema = joined_schema(&left, &right, kind, true);
        // The output keeps the left's time attributes; the table's are plain values.
        schema.columns[nl..].iter_mut().for_each(|c| c.time = None);
        let lookup = Arc::new(LookupTable { table: scanned, scan, steps, schema: right.schema.clone(), reload_ms });
        let updating = left.updating;
        Ok(Planned { node: Node::LookupJoin { left: Box::new(left), lookup, kind, keys, condition }, schema, updating })
    }
}
