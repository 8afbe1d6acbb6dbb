//! A table environment's state and its statements: the catalog, the functions, the
//! configuration, and what each statement of `execute_sql` does.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion_sql::sqlparser::ast::{self, VisitMut, VisitorMut};

use crate::catalog::{physical_columns, Catalog, CatalogTable, InlineTable};
use crate::error::{Result, SqlError};
use crate::functions::FunctionRegistry;
use crate::parse::{self, ColumnKind, CreateTable, Insert, ShowWhat, Statement};
use crate::plan::{PlanSchema, Planned, Planner, PlannerConfig};
use crate::types::{SqlType, Typed};

/// A query ready to run, with the columns it produces.
#[derive(Clone, Debug)]
pub struct QueryPlan {
    pub planned: Planned,
}

impl QueryPlan {
    pub fn names(&self) -> Vec<String> {
        self.planned.schema.names()
    }

    pub fn types(&self) -> Vec<Typed> {
        self.planned.schema.columns.iter().map(|c| c.ty.clone()).collect()
    }

    /// Types as the schema shows them (`TIMESTAMP(3) *ROWTIME*`).
    pub fn shown_types(&self) -> Vec<String> {
        self.planned.schema.columns.iter().map(PlanSchema::shown_type).collect()
    }
}

/// One `INSERT INTO`: the query, cast to the sink's columns, and the sink table.
#[derive(Clone, Debug)]
pub struct InsertPlan {
    pub query: Planned,
    pub sink: Arc<CreateTable>,
}

#[derive(Debug)]
pub enum Outcome {
    /// A statement with a small tabular answer (DDL's `OK`, SHOW, DESCRIBE), all strings.
    Rows { columns: Vec<String>, rows: Vec<Vec<String>> },
    Query(QueryPlan),
    Insert(Vec<InsertPlan>),
    Explain(String),
    /// `CREATE FUNCTION ... LANGUAGE PYTHON`: the bridge loads and registers it.
    CreateFunction { name: String, identifier: String, language: String, if_not_exists: bool },
}

impl Outcome {
    pub fn ok() -> Outcome {
        Outcome::Rows { columns: vec!["result".into()], rows: vec![vec!["OK".into()]] }
    }
}

#[derive(Default)]
pub struct TableSession {
    pub catalog: Catalog,
    pub functions: FunctionRegistry,
    pub config: BTreeMap<String, String>,
    inline_tables: usize,
}

impl TableSession {
    pub fn planner_config(&self) -> PlannerConfig {
        let mut c = PlannerConfig::default();
        if let Some(v) = self.config.get("pipeline.auto-watermark-interval") {
            if let Ok(ms) = crate::connector::parse_duration_ms(v) {
                c.watermark_interval_ms = ms;
            }
        }
        if let Some(v) = self.config.get("table.exec.state.ttl") {
            // 0 (Flink's default) keeps state forever.
            c.state_ttl_ms = crate::connector::parse_duration_ms(v).ok().filter(|ms| *ms > 0);
        }
        c
    }

    fn planner(&self) -> Planner<'_> {
        Planner::new(&self.catalog, &self.functions, self.planner_config())
    }

    /// Every statement of `sql` must be one statement (as `execute_sql` demands).
    pub fn execute(&mut self, sql: &str) -> Result<Outcome> {
        let statement = parse::parse_one(sql)?;
        self.execute_statement(statement)
    }

    pub fn plan_query(&self, sql: &str) -> Result<QueryPlan> {
        match parse::parse_one(sql)? {
            Statement::Query(q) => Ok(QueryPlan { planned: self.planner().plan_query(&q)? }),
            _ => Err(SqlError::Validation(format!("sql_query only accepts a SELECT query, not: {}", sql.trim()))),
        }
    }

    /// Registers inline rows under a fresh name and returns the name.
    pub fn register_inline(&mut self, table: InlineTable) -> Result<String> {
        self.inline_tables += 1;
        let name = format!("_oxflow_inline_{}", self.inline_tables);
        self.catalog.create(std::slice::from_ref(&name), CatalogTable::Inline(Arc::new(table)), true, false)?;
        Ok(name)
    }

    pub fn create_view_of(&mut self, name: &str, sql: &str) -> Result<()> {
        let Statement::Query(query) = parse::parse_one(sql)? else {
            return Err(SqlError::Validation("a view needs a query".into()));
        };
        self.planner().plan_view(&query)?;
        self.catalog.create(&[name.to_string()], CatalogTable::View { query, columns: Vec::new() }, true, false)
    }

    pub fn execute_statement(&mut self, statement: Statement) -> Result<Outcome> {
        match statement {
            Statement::CreateTable(t) => {
                let (name, temporary, if_not_exists) = (t.name.clone(), t.temporary, t.if_not_exists);
                self.catalog.create(&name, CatalogTable::Connector(Arc::new(t)), temporary, if_not_exists)?;
                Ok(Outcome::ok())
            }
            Statement::CreateView { name, temporary, if_not_exists, columns, query } => {
                // Flink validates a view's query when it is created.
                let planned = self.planner().plan_view(&query)?;
                if !columns.is_empty() && columns.len() != planned.schema.columns.len() {
                    return Err(SqlError::Validation(format!(
                        "VIEW definition and input fields not match: Def fields: {columns:?}, input fields: {:?}",
                        planned.schema.names()
                    )));
                }
                self.catalog.create(&name, CatalogTable::View { query, columns }, temporary, if_not_exists)?;
                Ok(Outcome::ok())
            }
            Statement::CreateFunction { name, identifier, language, if_not_exists, .. } => {
                let name = crate::catalog::local_name(&name)?;
                Ok(Outcome::CreateFunction { name, identifier, language, if_not_exists })
            }
            Statement::DropTable { name, if_exists, .. } => {
                self.catalog.drop(&name, if_exists, false)?;
                Ok(Outcome::ok())
            }
            Statement::DropView { name, if_exists, .. } => {
                self.catalog.drop(&name, if_exists, true)?;
                Ok(Outcome::ok())
            }
            Statement::DropFunction { name, if_exists } => {
                let local = crate::catalog::local_name(&name)?;
                if !self.functions.drop_function(&local) && !if_exists {
                    return Err(SqlError::NotFound(format!("Function '{local}' does not exist")));
                }
                Ok(Outcome::ok())
            }
            Statement::Query(q) => Ok(Outcome::Query(QueryPlan { planned: self.planner().plan_query(&q)? })),
            Statement::Insert(i) => Ok(Outcome::Insert(vec![self.plan_insert(&i)?])),
            Statement::StatementSet(inserts) => {
                Ok(Outcome::Insert(inserts.iter().map(|i| self.plan_insert(i)).collect::<Result<Vec<_>>>()?))
            }
            Statement::Set(None) => Ok(Outcome::Rows {
                columns: vec!["key".into(), "value".into()],
                rows: self.config.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect(),
            }),
            Statement::Set(Some((k, v))) => {
                self.config.insert(k, v);
                Ok(Outcome::ok())
            }
            Statement::Reset(None) => {
                self.config.clear();
                Ok(Outcome::ok())
            }
            Statement::Reset(Some(k)) => {
                self.config.remove(&k);
                Ok(Outcome::ok())
            }
            Statement::Show(what) => Ok(self.show(what)),
            Statement::Describe(name) => self.describe(&name),
            Statement::Explain(inner) => {
                let plans: Vec<Planned> = match *inner {
                    Statement::Query(q) => vec![self.planner().plan_query(&q)?],
                    Statement::Insert(i) => vec![self.plan_insert(&i)?.query],
                    Statement::StatementSet(v) => v.iter().map(|i| self.plan_insert(i).map(|p| p.query)).collect::<Result<_>>()?,
                    other => return Err(SqlError::Unsupported(format!("EXPLAIN of {other:?} is not supported"))),
                };
                Ok(Outcome::Explain(format!(
                    "== Optimized Physical Plan ==\n{}",
                    plans.iter().map(|p| p.explain()).collect::<Vec<_>>().join("\n")
                )))
            }
            Statement::Use { name, .. } => {
                let n = name.join(".");
                if n == crate::catalog::DEFAULT_CATALOG || n == crate::catalog::DEFAULT_DATABASE || n == format!("{}.{}", crate::catalog::DEFAULT_CATALOG, crate::catalog::DEFAULT_DATABASE) {
                    Ok(Outcome::ok())
                } else {
                    Err(SqlError::NotFound(format!("A catalog or database with name [{n}] does not exist")))
                }
            }
        }
    }

    fn plan_insert(&self, insert: &Insert) -> Result<InsertPlan> {
        if insert.overwrite {
            return Err(SqlError::Unsupported("INSERT OVERWRITE is only supported in batch mode".into()));
        }
        let entry = self.catalog.get(&insert.table)?;
        let CatalogTable::Connector(sink) = &entry.table else {
            return Err(SqlError::Validation(format!("'{}' is a view; INSERT INTO needs a table", insert.table.join("."))));
        };
        let query = self.planner().plan_query(&insert.query)?;
        let target = physical_columns(sink);
        if target.len() != query.schema.columns.len() {
            return Err(SqlError::Validation(format!(
                "Column types of query result and sink for '{}' do not match.\nCause: Different number of columns.\n\nQuery schema: [{}]\nSink schema:  [{}]",
                insert.table.join("."),
                query.schema.columns.iter().map(|c| format!("{}: {}", c.name, c.ty)).collect::<Vec<_>>().join(", "),
                target.iter().map(|(n, t)| format!("{n}: {t}")).collect::<Vec<_>>().join(", ")
            )));
        }
        let query = cast_to_sink(query, &target)?;
        Ok(InsertPlan { query, sink: sink.clone() })
    }

    fn show(&self, what: ShowWhat) -> Outcome {
        let (column, rows): (&str, Vec<String>) = match what {
            ShowWhat::Tables => ("table name", self.catalog.names(false)),
            ShowWhat::Views => ("view name", self.catalog.names(true)),
            ShowWhat::Functions { user_only: true } => ("function name", self.functions.user_functions().to_vec()),
            ShowWhat::Functions { user_only: false } => ("function name", self.functions.all_names()),
            ShowWhat::Catalogs => ("catalog name", vec![crate::catalog::DEFAULT_CATALOG.into()]),
            ShowWhat::Databases => ("database name", vec![crate::catalog::DEFAULT_DATABASE.into()]),
            ShowWhat::CurrentCatalog => ("current catalog name", vec![crate::catalog::DEFAULT_CATALOG.into()]),
            ShowWhat::CurrentDatabase => ("current database name", vec![crate::catalog::DEFAULT_DATABASE.into()]),
            ShowWhat::Modules => ("module name", vec!["core".into()]),
        };
        Outcome::Rows { columns: vec![column.into()], rows: rows.into_iter().map(|r| vec![r]).collect() }
    }

    fn describe(&self, name: &[String]) -> Result<Outcome> {
        let columns = ["name", "type", "null", "key", "extras", "watermark"].map(String::from).to_vec();
        let entry = self.catalog.get(name)?;
        let mut rows = Vec::new();
        match &entry.table {
            CatalogTable::Connector(t) => {
                let planned = self.planner().plan_table(&ast::ObjectName::from(name.iter().map(|n| ast::Ident::new(n.clone())).collect::<Vec<_>>()))?;
                for c in &t.columns {
                    let col = planned.schema.columns.iter().find(|p| p.name == c.name);
                    let shown = col.map(PlanSchema::shown_type).unwrap_or_default();
                    let nullable = col.is_some_and(|p| p.ty.nullable) && !t.primary_key.contains(&c.name);
                    let key = if t.primary_key.contains(&c.name) { format!("PRI({})", t.primary_key.join(", ")) } else { String::new() };
                    let extras = match &c.kind {
                        ColumnKind::Computed(e) => format!("AS {}", quoted(e)),
                        ColumnKind::Metadata { key, is_virtual, .. } => {
                            let mut s = String::from("METADATA");
                            if let Some(k) = key {
                                s.push_str(&format!(" FROM '{k}'"));
                            }
                            if *is_virtual {
                                s.push_str(" VIRTUAL");
                            }
                            s
                        }
                        ColumnKind::Physical(_) => String::new(),
                    };
                    let watermark = match &t.watermark {
                        Some(w) if w.column == c.name => quoted(&w.expr),
                        _ => String::new(),
                    };
                    let shown = if t.primary_key.contains(&c.name) { shown.replace(" NOT NULL", "") } else { shown };
                    rows.push(vec![c.name.clone(), shown, bool_text(nullable), key, extras, watermark]);
                }
            }
            _ => {
                let planned = self.planner().plan_table(&ast::ObjectName::from(name.iter().map(|n| ast::Ident::new(n.clone())).collect::<Vec<_>>()))?;
                for c in &planned.schema.columns {
                    rows.push(vec![c.name.clone(), PlanSchema::shown_type(c), bool_text(c.ty.nullable), String::new(), String::new(), String::new()]);
                }
            }
        }
        Ok(Outcome::Rows { columns, rows })
    }
}

fn bool_text(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.into()
}

/// An expression with its identifiers quoted, as Flink expands it (`` `ts` - INTERVAL '5' SECOND ``).
fn quoted(e: &ast::Expr) -> String {
    struct Quote;
    impl VisitorMut for Quote {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> std::ops::ControlFlow<()> {
            match expr {
                ast::Expr::Identifier(i) => i.quote_style = Some('`'),
                ast::Expr::CompoundIdentifier(parts) => parts.iter_mut().for_each(|i| i.quote_style = Some('`')),
                _ => {}
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut e = e.clone();
    let _ = e.visit(&mut Quote);
    e.to_string()
}

/// The query's columns cast to the sink's types where they differ (Flink's implicit cast on insert).
fn cast_to_sink(query: Planned, target: &[(String, Typed)]) -> Result<Planned> {
    let arrow = query.schema.arrow();
    let mut exprs = Vec::new();
    let mut columns = Vec::new();
    for (i, (name, ty)) in target.iter().enumerate() {
        let source = &query.schema.columns[i];
        let col: crate::plan::PhysExpr = Arc::new(datafusion_physical_expr::expressions::Column::new(&source.name, i));
        let castable = source.ty.ty == ty.ty
            || (source.ty.ty.is_numeric() && ty.ty.is_numeric())
            || matches!((&source.ty.ty, &ty.ty), (SqlType::Varchar(_) | SqlType::Char(_), SqlType::Varchar(_) | SqlType::Char(_)))
            || (source.ty.ty.is_timestamp() && ty.ty.is_timestamp())
            || source.ty.ty == SqlType::Null;
        if !castable {
            return Err(SqlError::Validation(format!(
                "Column types of query result and sink do not match. Incompatible types for sink column '{name}' at position {i}: query column '{}' is {}, sink column is {ty}.",
                source.name, source.ty
            )));
        }
        exprs.push(if source.ty.ty.to_arrow() == ty.ty.to_arrow() { col } else { datafusion_physical_expr::expressions::cast(col, &arrow, ty.ty.to_arrow())? });
        columns.push(crate::plan::PlanColumn { name: name.clone(), qualifier: None, ty: ty.clone(), time: None });
    }
    let updating = query.updating;
    Ok(Planned { node: crate::plan::Node::Project { input: Box::new(query), exprs }, schema: PlanSchema { columns }, updating })
}
