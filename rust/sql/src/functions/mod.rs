//! The functions SQL can call: DataFusion's scalar and aggregate library, Flink's functions that
//! DataFusion lacks (see [`flink`]), and the user's (Python UDFs registered at run time).

mod flink;
pub mod table;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::config::ConfigOptions;
use datafusion_common::{plan_err, TableReference};
use datafusion_expr::planner::{ContextProvider, ExprPlanner, TypePlanner};
use datafusion_expr::{AggregateUDF, HigherOrderUDF, ScalarUDF, TableSource, WindowUDF};
use datafusion_sql::sqlparser::ast;

use crate::types::parse_type;
pub use table::{TableFunction, TableRows};

/// Functions by lower-cased name (SQL function names are case-insensitive; identifiers are not).
#[derive(Clone)]
pub struct FunctionRegistry {
    scalars: HashMap<String, Arc<ScalarUDF>>,
    aggregates: HashMap<String, Arc<AggregateUDF>>,
    tables: HashMap<String, Arc<dyn TableFunction>>,
    /// Names the user registered, for SHOW USER FUNCTIONS.
    user: Vec<String>,
    /// User aggregates that only window aggregation may call (pandas UDAFs cannot retract or
    /// be updated per row), by lower-cased name.
    window_only: HashSet<String>,
    options: Arc<ConfigOptions>,
    types: Arc<FlinkTypes>,
    /// SQL syntax DataFusion plans through planners (SUBSTRING, EXTRACT, POSITION, COUNT(*)).
    planners: Vec<Arc<dyn ExprPlanner>>,
}

impl Default for FunctionRegistry {
    fn default() -> Self {
        let mut reg = FunctionRegistry {
            scalars: HashMap::new(),
            aggregates: HashMap::new(),
            tables: HashMap::new(),
            user: Vec::new(),
            window_only: HashSet::new(),
            options: Arc::new(ConfigOptions::default()),
            types: Arc::new(FlinkTypes),
            planners: vec![
                Arc::new(datafusion_functions::core::planner::CoreFunctionPlanner::default()),
                Arc::new(datafusion_functions::unicode::planner::UnicodeFunctionPlanner),
                Arc::new(datafusion_functions::datetime::planner::DatetimeFunctionPlanner),
                Arc::new(datafusion_functions_aggregate::planner::AggregateFunctionPlanner),
            ],
        };
        for f in datafusion_functions::all_default_functions() {
            reg.add_scalar(f);
        }
        for f in datafusion_functions_aggregate::all_default_aggregate_functions() {
            reg.add_aggregate(f);
        }
        for f in flink::scalar_functions() {
            reg.add_scalar(f);
        }
        reg
    }
}

impl FunctionRegistry {
    fn add_scalar(&mut self, f: Arc<ScalarUDF>) {
        for name in std::iter::once(f.name()).chain(f.aliases().iter().map(String::as_str)) {
            self.scalars.insert(name.to_ascii_lowercase(), f.clone());
        }
    }

    fn add_aggregate(&mut self, f: Arc<AggregateUDF>) {
        for name in std::iter::once(f.name()).chain(f.aliases().iter().map(String::as_str)) {
            self.aggregates.insert(name.to_ascii_lowercase(), f.clone());
        }
    }

    /// A user scalar function; it replaces any user function of that name (of any kind).
    pub fn register_scalar(&mut self, name: &str, f: Arc<ScalarUDF>) {
        self.drop_function(name);
        self.scalars.insert(name.to_ascii_lowercase(), f);
        self.user.push(name.to_string());
    }

    /// A user aggregate; `window_only`: callable in window aggregation, not in GROUP BY.
    pub fn register_aggregate(&mut self, name: &str, f: Arc<AggregateUDF>, window_only: bool) {
        self.drop_function(name);
        let lower = name.to_ascii_lowercase();
        if window_only {
            self.window_only.insert(lower.clone());
        } else {
            self.window_only.remove(&lower);
        }
        self.aggregates.insert(lower, f);
        self.user.push(name.to_string());
    }

    pub fn register_table_function(&mut self, name: &str, f: Arc<dyn TableFunction>) {
        self.drop_function(name);
        self.tables.insert(name.to_ascii_lowercase(), f);
        self.user.push(name.to_string());
    }

    pub fn table_function(&self, name: &str) -> Option<Arc<dyn TableFunction>> {
        self.tables.get(&name.to_ascii_lowercase()).cloned()
    }

    pub fn is_window_only(&self, name: &str) -> bool {
        self.window_only.contains(&name.to_ascii_lowercase())
    }

    /// The function is the user's (its calls may enter user code, see [`crate::exec::scope`]).
    pub fn is_user(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.user.iter().any(|n| n.to_ascii_lowercase() == lower)
    }

    pub fn drop_function(&mut self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        let before = self.user.len();
        self.user.retain(|n| n.to_ascii_lowercase() != lower);
        let removed = self.user.len() != before;
        if removed {
            self.scalars.remove(&lower);
            self.aggregates.remove(&lower);
            self.tables.remove(&lower);
            self.window_only.remove(&lower);
        }
        removed
    }

    pub fn is_aggregate(&self, name: &str) -> bool {
        self.aggregates.contains_key(&name.to_ascii_lowercase())
    }

    pub fn user_functions(&self) -> &[String] {
        &self.user
    }

    /// Every function name, sorted, for SHOW FUNCTIONS.
    pub fn all_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.scalars.keys().chain(self.aggregates.keys()).chain(self.tables.keys()).cloned().collect();
        names.sort();
        names.dedup();
        names
    }
}

impl ContextProvider for FunctionRegistry {
    fn get_table_source(&self, name: TableReference) -> datafusion_common::Result<Arc<dyn TableSource>> {
        plan_err!("tables are resolved by oxflow's planner, not in expressions: {name}")
    }

    fn get_function_meta(&self, name: &str) -> Option<Arc<ScalarUDF>> {
        self.scalars.get(&name.to_ascii_lowercase()).cloned()
    }

    fn get_higher_order_meta(&self, _name: &str) -> Option<Arc<HigherOrderUDF>> {
        None
    }

    fn get_aggregate_meta(&self, name: &str) -> Option<Arc<AggregateUDF>> {
        self.aggregates.get(&name.to_ascii_lowercase()).cloned()
    }

    fn get_window_meta(&self, _name: &str) -> Option<Arc<WindowUDF>> {
        None
    }

    fn get_variable_type(&self, _variable_names: &[String]) -> Option<DataType> {
        None
    }

    fn options(&self) -> &ConfigOptions {
        &self.options
    }

    fn udf_names(&self) -> Vec<String> {
        self.scalars.keys().cloned().collect()
    }

    fn higher_order_function_names(&self) -> Vec<String> {
        Vec::new()
    }

    fn udaf_names(&self) -> Vec<String> {
        self.aggregates.keys().cloned().collect()
    }

    fn udwf_names(&self) -> Vec<String> {
        Vec::new()
    }

    fn get_expr_planners(&self) -> &[Arc<dyn ExprPlanner>] {
        &self.planners
    }

    fn get_type_planner(&self) -> Option<Arc<dyn TypePlanner>> {
        Some(self.types.clone())
    }
}

/// Flink's type names that sqlparser keeps as custom types (`TIMESTAMP_LTZ(3)`, `STRING`, `BYTES`).
#[derive(Debug)]
struct FlinkTypes;

impl TypePlanner for FlinkTypes {
    fn plan_type_field(&self, sql_type: &ast::DataType) -> datafusion_common::Result<Option<FieldRef>> {
        let text = sql_type.to_string();
        let upper = text.to_ascii_uppercase();
        let ours = ["TIMESTAMP", "STRING", "BYTES", "ROW", "MAP", "ARRAY", "VARCHAR", "CHAR"]
            .iter()
            .any(|p| upper.starts_with(p));
        if !ours {
            return Ok(None);
        }
        match parse_type(&text) {
            Ok(t) => Ok(Some(Arc::new(Field::new("", t.ty.to_arrow(), t.nullable)))),
            Err(_) => Ok(None),
        }
    }
}
