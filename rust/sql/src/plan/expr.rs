//! One scalar expression from SQL text to something the runtime evaluates: DataFusion's SQL
//! planner makes the logical expression, its type coercion makes the types meet, and its physical
//! planner makes the evaluator.

use std::sync::Arc;

use datafusion_common::tree_node::TreeNode;
use datafusion_expr::execution_props::ExecutionProps;
use datafusion_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion_expr::{Expr, ExprSchemable};
use datafusion_optimizer::analyzer::type_coercion::TypeCoercionRewriter;
use datafusion_physical_expr::create_physical_expr;
use datafusion_sql::planner::{ParserOptions, PlannerContext, SqlToRel};
use datafusion_sql::sqlparser::ast::{self, CeilFloorKind, DateTimeField, Value, VisitMut, VisitorMut};

use super::{PhysExpr, PlanColumn, PlanSchema};
use crate::error::{Result, SqlError};
use crate::functions::FunctionRegistry;
use crate::parse::dialect::call;
use crate::types::{SqlType, Typed};

pub struct ExprPlanner<'a> {
    pub functions: &'a FunctionRegistry,
}

impl<'a> ExprPlanner<'a> {
    pub fn new(functions: &'a FunctionRegistry) -> Self {
        ExprPlanner { functions }
    }

    fn sql_to_rel(&self) -> SqlToRel<'a, FunctionRegistry> {
        let mut options = ParserOptions::new();
        // Flink identifiers are case-sensitive; its literals like 1.5 are exact DECIMALs.
        options.enable_ident_normalization = false;
        options.parse_float_as_decimal = true;
        options.map_string_types_to_utf8view = false;
        SqlToRel::new_with_options(self.functions, options)
    }

    /// The coerced logical expression of `ast` over `schema`.
    pub fn logical(&self, ast: &ast::Expr, schema: &PlanSchema) -> Result<Expr> {
        let df = schema.df()?;
        let mut ast = ast.clone();
        let _ = ast.visit(&mut FlinkSyntax);
        let expr = self
            .sql_to_rel()
            .sql_to_expr(ast.clone(), &df, &mut PlannerContext::new())
            .map_err(|e| explain_error(e.into(), &ast, schema))?;
        let expr = prefer_double(expr, &df)?;
        let expr = expr
            .rewrite(&mut TypeCoercionRewriter::new(&df))
            .map_err(|e| type_error(e.into(), &ast))?
            .data;
        check_flink_operands(&expr, &df, &ast, schema)?;
        Ok(expr)
    }

    pub fn physical(&self, expr: &Expr, schema: &PlanSchema) -> Result<PhysExpr> {
        let df = std::sync::Arc::new(schema.df()?);
        // Some functions only run in the form DataFusion's simplifier gives them (COALESCE as CASE).
        let context = datafusion_expr::simplify::SimplifyContext::builder().with_schema(df.clone()).build();
        let simplified = datafusion_optimizer::simplify_expressions::ExprSimplifier::new(context).simplify(expr.clone())?;
        Ok(create_physical_expr(&simplified, &df, &ExecutionProps::new(), &PhysicalPlanningContext::default())?)
    }

    /// The evaluator of `ast` and the column it makes, named `name`.
    pub fn plan(&self, ast: &ast::Expr, schema: &PlanSchema, name: &str) -> Result<(PhysExpr, PlanColumn)> {
        let logical = self.logical(ast, schema)?;
        let df = schema.df()?;
        let (_, f) = logical.to_field(&df)?;
        let (dt, nullable) = (f.data_type().clone(), f.is_nullable());
        let ty = SqlType::from_arrow(&dt)?;
        let physical = self.physical(&logical, schema)?;
        // A bare reference to a time attribute stays one; any computation makes a plain value.
        let time = match ast {
            ast::Expr::Identifier(i) => schema.columns.iter().find(|c| c.name == i.value).and_then(|c| c.time),
            ast::Expr::CompoundIdentifier(parts) => {
                parts.last().and_then(|i| schema.columns.iter().find(|c| c.name == i.value)).and_then(|c| c.time)
            }
            _ => None,
        };
        Ok((physical, PlanColumn { name: name.to_string(), qualifier: None, ty: Typed { ty, nullable }, time }))
    }
}

/// Flink syntax DataFusion spells differently: `FLOOR(ts TO MINUTE)` is `date_trunc('minute', ts)`,
/// `IF(c, a, b)` is a CASE.
struct FlinkSyntax;

impl VisitorMut for FlinkSyntax {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut ast::Expr) -> std::ops::ControlFlow<()> {
        // Flink types an integer literal that fits as INT (DataFusion: BIGINT), which decides
        // the precision of DECIMAL arithmetic (`price * 2` is a DECIMAL(p + 11, s)).
        if let ast::Expr::Value(v) = expr {
            if let Value::Number(n, false) = &v.value {
                if !n.contains(['.', 'e', 'E']) && n.parse::<i32>().is_ok() {
                    *expr = ast::Expr::Cast {
                        kind: ast::CastKind::Cast,
                        expr: Box::new(expr.clone()),
                        data_type: ast::DataType::Int(None),
                        array: false,
                        format: None,
                    };
                    return std::ops::ControlFlow::Continue(());
                }
            }
        }
        // Flink's EXTRACT gives a BIGINT (DataFusion's date_part an INT).
        if matches!(expr, ast::Expr::Extract { .. }) {
            *expr = ast::Expr::Cast {
                kind: ast::CastKind::Cast,
                expr: Box::new(expr.clone()),
                data_type: ast::DataType::BigInt(None),
                array: false,
                format: None,
            };
            return std::ops::ControlFlow::Continue(());
        }
        if let ast::Expr::Floor { expr: inner, field: CeilFloorKind::DateTimeField(unit) } = expr {
            if !matches!(unit, DateTimeField::NoDateTime) {
                let unit_name = unit.to_string().to_ascii_lowercase();
                *expr = call("date_trunc", vec![ast::Expr::value(Value::SingleQuotedString(unit_name)), (**inner).clone()]);
            }
        }
        if let ast::Expr::Function(f) = expr {
            // COUNT(*) counts rows: the same as COUNT(1), which needs no wildcard rewrite later.
            if f.name.to_string().eq_ignore_ascii_case("COUNT") {
                if let ast::FunctionArguments::List(list) = &mut f.args {
                    for a in &mut list.args {
                        if matches!(a, ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)) {
                            *a = ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::value(Value::Number("1".into(), false))));
                        }
                    }
                }
            }
            // TIMESTAMPDIFF(SECOND, a, b): the unit is a keyword; our function takes it as text.
            let name = f.name.to_string().to_ascii_uppercase();
            if name == "TIMESTAMPDIFF" || name == "TIMESTAMPADD" {
                if let ast::FunctionArguments::List(list) = &mut f.args {
                    if let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Identifier(unit)))) = list.args.first() {
                        let unit = unit.value.to_ascii_uppercase();
                        list.args[0] = ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::value(Value::SingleQuotedString(unit))));
                    }
                    // Our TIMESTAMPADD takes millisecond timestamps; a literal is microseconds.
                    if name == "TIMESTAMPADD" {
                        if let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ts))) = list.args.get_mut(2) {
                            *ts = ast::Expr::Cast {
                                kind: ast::CastKind::Cast,
                                expr: Box::new(ts.clone()),
                                data_type: ast::DataType::Timestamp(Some(3), ast::TimezoneInfo::None),
                                array: false,
                                format: None,
                            };
                        }
                    }
                }
            }
            if f.name.to_string().eq_ignore_ascii_case("IF") {
                if let ast::FunctionArguments::List(list) = &f.args {
                    let args: Vec<ast::Expr> = list
                        .args
                        .iter()
                        .filter_map(|a| match a {
                            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e.clone()),
                            _ => None,
                        })
                        .collect();
                    if args.len() == 3 {
                        *expr = ast::Expr::Case {
                            case_token: ast::helpers::attached_token::AttachedToken::empty(),
                            end_token: ast::helpers::attached_token::AttachedToken::empty(),
                            operand: None,
                            conditions: vec![ast::CaseWhen { condition: args[0].clone(), result: args[1].clone() }],
                            else_result: Some(Box::new(args[2].clone())),
                        };
                    }
                }
            }
        }
        std::ops::ControlFlow::Continue(())
    }
}

/// In Flink a DOUBLE and a DECIMAL meet as a DOUBLE; DataFusion's COALESCE/CASE/NULLIF/GREATEST
/// would make a DECIMAL of them, so the DECIMAL arguments are cast to DOUBLE first.
fn prefer_double(expr: Expr, df: &datafusion_common::DFSchema) -> Result<Expr> {
    use arrow::datatypes::DataType as D;
    use datafusion_common::tree_node::Transformed;
    let cast_decimals = |args: Vec<Expr>| -> Vec<Expr> {
        let types: Vec<Option<D>> = args.iter().map(|a| a.get_type(df).ok()).collect();
        let has_float = types.iter().any(|t| matches!(t, Some(D::Float64 | D::Float32)));
        let has_decimal = types.iter().any(|t| matches!(t, Some(D::Decimal128(..))));
        if !(has_float && has_decimal) {
            return args;
        }
        args.into_iter()
            .zip(types)
            .map(|(a, t)| if matches!(t, Some(D::Decimal128(..))) { datafusion_expr::cast(a, D::Float64) } else { a })
            .collect()
    };
    let out = expr.transform_up(|e| {
        Ok(match e {
            Expr::ScalarFunction(mut f) if matches!(f.name(), "coalesce" | "nvl" | "ifnull" | "greatest" | "least" | "nullif") => {
                f.args = cast_decimals(std::mem::take(&mut f.args));
                Transformed::yes(Expr::ScalarFunction(f))
            }
            Expr::Case(mut c) => {
                let results: Vec<Expr> = c.when_then_expr.iter().map(|(_, t)| (**t).clone()).chain(c.else_expr.iter().map(|e| (**e).clone())).collect();
                let fixed = cast_decimals(results);
                let n = c.when_then_expr.len();
                for (i, (_, t)) in c.when_then_expr.iter_mut().enumerate() {
                    *t = Box::new(fixed[i].clone());
                }
                if let Some(e) = c.else_expr.as_mut() {
                    *e = Box::new(fixed[n].clone());
                }
                Transformed::yes(Expr::Case(c))
            }
            other => Transformed::no(other),
        })
    })?;
    Ok(out.data)
}

/// Operations DataFusion allows and Flink rejects at validation (timestamp minus timestamp).
fn check_flink_operands(expr: &Expr, df: &datafusion_common::DFSchema, ast: &ast::Expr, schema: &PlanSchema) -> Result<()> {
    use datafusion_common::tree_node::TreeNodeRecursion;
    let mut error = None;
    let _ = expr.apply(|e| {
        if let Expr::BinaryExpr(b) = e {
            if b.op == datafusion_expr::Operator::Minus {
                let (l, r) = (b.left.get_type(df), b.right.get_type(df));
                if let (Ok(l @ arrow::datatypes::DataType::Timestamp(..)), Ok(r @ arrow::datatypes::DataType::Timestamp(..))) = (l, r) {
                    let show = |e: &Expr, dt: &arrow::datatypes::DataType| -> String {
                        let ty = SqlType::from_arrow(dt).map(|t| t.to_string()).unwrap_or_default();
                        let rowtime = matches!(e, Expr::Column(c) if schema.columns.iter().any(|p| p.name == c.name && p.time.is_some()));
                        if rowtime { format!("{ty} *ROWTIME*") } else { ty }
                    };
                    error = Some(SqlError::Validation(format!(
                        "Cannot apply '-' to arguments of type '<{}> - <{}>' in '{ast}'. Supported form(s): '<NUMERIC> - <NUMERIC>', '<DATETIME_INTERVAL> - <DATETIME_INTERVAL>', '<DATETIME> - <DATETIME_INTERVAL>'; use TIMESTAMPDIFF for the time between two timestamps",
                        show(&b.left, &l),
                        show(&b.right, &r)
                    )));
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    error.map_or(Ok(()), Err)
}

/// DataFusion's planning errors, reworded as Flink's validator words them.
fn explain_error(e: SqlError, ast: &ast::Expr, schema: &PlanSchema) -> SqlError {
    let text = e.to_string();
    if text.contains("No field named") || text.contains("Schema error") {
        let name = text
            .split("No field named ")
            .nth(1)
            .map(|s| s.split(['.', ' ']).next().unwrap_or(s).trim_matches(|c| c == '"' || c == '`').to_string())
            .unwrap_or_default();
        return SqlError::NotFound(format!(
            "Column '{name}' not found in any table; available columns are: [{}] (in expression '{ast}')",
            schema.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if text.contains("Invalid function") || text.contains("Unknown function") {
        return SqlError::NotFound(format!("No match found for function signature in expression '{ast}': {text}"));
    }
    e
}

fn type_error(e: SqlError, ast: &ast::Expr) -> SqlError {
    SqlError::Validation(format!("Cannot apply the operands of '{ast}': {e}"))
}

/// An `Arc`'d column reference to input column `i` (for plans that pass columns through).
pub fn column(schema: &PlanSchema, i: usize) -> PhysExpr {
    Arc::new(datafusion_physical_expr::expressions::Column::new(&schema.columns[i].name, i))
}
