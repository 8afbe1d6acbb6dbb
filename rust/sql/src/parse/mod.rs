//! SQL text to statements: sqlparser with Flink's dialect, plus the statements Flink has and
//! sqlparser does not (CREATE TABLE with watermarks, SET 'k' = 'v', statement sets).

pub mod ddl;
pub mod dialect;
pub mod match_within;
mod words;

use datafusion_sql::sqlparser::ast::{self, ObjectName, Query};
use datafusion_sql::sqlparser::parser::Parser;
use datafusion_sql::sqlparser::tokenizer::Token;

pub use ddl::{ColumnDdl, ColumnKind, CreateTable, WatermarkDdl};
pub use dialect::FlinkDialect;
use words::{eat_word, eat_words, expect_word, ident, parse_name, peek_word, string_literal};

use crate::error::{Result, SqlError};

#[derive(Debug, Clone)]
pub struct Insert {
    pub table: Vec<String>,
    pub overwrite: bool,
    pub query: Box<Query>,
}

#[derive(Debug, Clone)]
pub enum Statement {
    CreateTable(CreateTable),
    CreateView { name: Vec<String>, temporary: bool, if_not_exists: bool, columns: Vec<String>, query: Box<Query> },
    /// `CREATE [TEMPORARY [SYSTEM]] FUNCTION name AS 'identifier' [LANGUAGE PYTHON|JAVA|SCALA]`.
    CreateFunction { name: Vec<String>, temporary: bool, if_not_exists: bool, identifier: String, language: String },
    DropTable { name: Vec<String>, if_exists: bool, temporary: bool },
    DropView { name: Vec<String>, if_exists: bool, temporary: bool },
    DropFunction { name: Vec<String>, if_exists: bool },
    Query(Box<Query>),
    Insert(Insert),
    StatementSet(Vec<Insert>),
    /// `SET` alone lists the options; `SET 'k' = 'v'` sets one.
    Set(Option<(String, String)>),
    Reset(Option<String>),
    Show(ShowWhat),
    Describe(Vec<String>),
    Explain(Box<Statement>),
    Use { catalog: bool, name: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowWhat {
    Tables,
    Views,
    Functions { user_only: bool },
    Catalogs,
    Databases,
    CurrentCatalog,
    CurrentDatabase,
    Modules,
}

/// Every statement of `sql`, separated by semicolons.
pub fn parse_script(sql: &str) -> Result<Vec<Statement>> {
    parse_script_inner(sql).map_err(|e| match e {
        // sqlparser gives no position for the end of the text; Flink names it.
        SqlError::Parse(m) if m.ends_with("found: EOF") => {
            let line = sql.lines().count().max(1);
            let column = sql.lines().last().map_or(0, |l| l.chars().count()) + 1;
            SqlError::Parse(format!("{m} (the end of the statement) at Line: {line}, Column: {column}"))
        }
        other => other,
    })
}

fn parse_script_inner(sql: &str) -> Result<Vec<Statement>> {
    let dialect = FlinkDialect;
    let tokens = datafusion_sql::sqlparser::tokenizer::Tokenizer::new(&dialect, sql)
        .with_unescape(true)
        .tokenize_with_location()
        .map_err(|e| SqlError::from(datafusion_sql::sqlparser::parser::ParserError::TokenizerError(e.to_string())))?;
    let mut p = Parser::new(&dialect).with_tokens_with_locations(match_within::move_within(tokens));
    let mut out = Vec::new();
    loop {
        while p.consume_token(&Token::SemiColon) {}
        if p.peek_token_ref().token == Token::EOF {
            break;
        }
        out.push(parse_statement(&mut p)?);
        let next = p.peek_token();
        if next.token != Token::EOF && next.token != Token::SemiColon {
            return Err(SqlError::Parse(format!(
                "Encountered \"{}\" at line {}, column {}. Expected the end of the statement.",
                next.token, next.span.start.line, next.span.start.column
            )));
        }
    }
    Ok(out)
}

/// Exactly one statement.
pub fn parse_one(sql: &str) -> Result<Statement> {
    let mut all = parse_script(sql)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => Err(SqlError::Parse("the SQL text holds no statement".into())),
        n => Err(SqlError::Validation(format!(
            "only single statement supported, the SQL text holds {n} statements; use a StatementSet or EXECUTE STATEMENT SET for several INSERTs"
        ))),
    }
}

fn parse_statement(p: &mut Parser) -> Result<Statement> {
    if eat_word(p, "CREATE") {
        let temporary = eat_word(p, "TEMPORARY");
        let system = eat_word(p, "SYSTEM");
        if eat_word(p, "TABLE") {
            return Ok(Statement::CreateTable(ddl::parse_create_table(p, temporary)?));
        }
        if eat_word(p, "FUNCTION") {
            let if_not_exists = eat_words(p, &["IF", "NOT", "EXISTS"]);
            let name = parse_name(p)?;
            expect_word(p, "AS")?;
            let identifier = string_literal(p)?;
            let language = if eat_word(p, "LANGUAGE") { ident(p)?.to_ascii_uppercase() } else { "JAVA".into() };
            return Ok(Statement::CreateFunction { name, temporary: temporary || system, if_not_exists, identifier, language });
        }
        if eat_word(p, "VIEW") {
            let if_not_exists = eat_words(p, &["IF", "NOT", "EXISTS"]);
            let name = parse_name(p)?;
            let mut columns = Vec::new();
            if p.consume_token(&Token::LParen) {
                columns.push(ident(p)?);
                while p.consume_token(&Token::Comma) {
                    columns.push(ident(p)?);
                }
                p.expect_token(&Token::RParen)?;
            }
            if eat_word(p, "COMMENT") {
                string_literal(p)?;
            }
            expect_word(p, "AS")?;
            let query = p.parse_query()?;
            return Ok(Statement::CreateView { name, temporary, if_not_exists, columns, query });
        }
        let found = p.peek_token();
        return Err(SqlError::Parse(format!(
            "Expected: TABLE, VIEW or FUNCTION after CREATE, found: {} at {}",
            found.token, found.span.start
        )));
    }
    if eat_word(p, "DROP") {
        let temporary = eat_word(p, "TEMPORARY");
        eat_word(p, "SYSTEM");
        let what = peek_word(p, 0).unwrap_or_default();
        if matches!(what.as_str(), "TABLE" | "VIEW" | "FUNCTION") {
            p.next_token();
            let if_exists = eat_words(p, &["IF", "EXISTS"]);
            let name = parse_name(p)?;
            return Ok(match what.as_str() {
                "TABLE" => Statement::DropTable { name, if_exists, temporary },
                "VIEW" => Statement::DropView { name, if_exists, temporary },
                _ => Statement::DropFunction { name, if_exists },
            });
        }
        let found = p.peek_token();
        return Err(SqlError::Parse(format!("Expected: TABLE, VIEW or FUNCTION after DROP, found: {} at {}", found.token, found.span.start)));
    }
    if eat_word(p, "SET") {
        if matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
            return Ok(Statement::Set(None));
        }
        let key = option_key(p)?;
        p.expect_token(&Token::Eq)?;
        let value = option_key(p)?;
        return Ok(Statement::Set(Some((key, value))));
    }
    if eat_word(p, "RESET") {
        if matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
            return Ok(Statement::Reset(None));
        }
        return Ok(Statement::Reset(Some(option_key(p)?)));
    }
    if eat_word(p, "SHOW") {
        let what = if eat_word(p, "TABLES") {
            ShowWhat::Tables
        } else if eat_word(p, "VIEWS") {
            ShowWhat::Views
        } else if eat_words(p, &["USER", "FUNCTIONS"]) {
            ShowWhat::Functions { user_only: true }
        } else if eat_word(p, "FUNCTIONS") {
            ShowWhat::Functions { user_only: false }
        } else if eat_word(p, "CATALOGS") {
            ShowWhat::Catalogs
        } else if eat_word(p, "DATABASES") {
            ShowWhat::Databases
        } else if eat_words(p, &["CURRENT", "CATALOG"]) {
            ShowWhat::CurrentCatalog
        } else if eat_words(p, &["CURRENT", "DATABASE"]) {
            ShowWhat::CurrentDatabase
        } else if eat_word(p, "MODULES") {
            ShowWhat::Modules
        } else {
            let found = p.peek_token();
            return Err(SqlError::Parse(format!("Expected: TABLES, VIEWS, FUNCTIONS, CATALOGS or DATABASES after SHOW, found: {} at {}", found.token, found.span.start)));
        };
        return Ok(Statement::Show(what));
    }
    if eat_word(p, "DESCRIBE") || eat_word(p, "DESC") {
        return Ok(Statement::Describe(parse_name(p)?));
    }
    if eat_word(p, "EXPLAIN") {
        eat_words(p, &["PLAN", "FOR"]);
        return Ok(Statement::Explain(Box::new(parse_statement(p)?)));
    }
    if eat_word(p, "USE") {
        let catalog = eat_word(p, "CATALOG");
        return Ok(Statement::Use { catalog, name: parse_name(p)? });
    }
    if eat_words(p, &["EXECUTE", "STATEMENT", "SET"]) || eat_words(p, &["BEGIN", "STATEMENT", "SET"]) {
        return statement_set(p);
    }
    eat_word(p, "EXECUTE");
    if peek_word(p, 0).as_deref() == Some("INSERT") {
        return Ok(Statement::Insert(parse_insert(p)?));
    }
    match p.parse_statement()? {
        ast::Statement::Query(q) => Ok(Statement::Query(q)),
        other => Err(SqlError::Unsupported(format!("Unsupported statement: {other}"))),
    }
}

fn statement_set(p: &mut Parser) -> Result<Statement> {
    eat_word(p, "BEGIN");
    let _ = p.consume_token(&Token::SemiColon);
    let mut inserts = Vec::new();
    loop {
        while p.consume_token(&Token::SemiColon) {}
        if eat_word(p, "END") {
            break;
        }
        if p.peek_token_ref().token == Token::EOF {
            return Err(SqlError::Parse("a statement set must end with END".into()));
        }
        if peek_word(p, 0).as_deref() != Some("INSERT") {
            let found = p.peek_token();
            return Err(SqlError::Validation(format!(
                "Only INSERT statements are allowed in a statement set, found: {} at {}",
                found.token, found.span.start
            )));
        }
        inserts.push(parse_insert(p)?);
    }
    Ok(Statement::StatementSet(inserts))
}

fn parse_insert(p: &mut Parser) -> Result<Insert> {
    expect_word(p, "INSERT")?;
    let overwrite = if eat_word(p, "OVERWRITE") {
        true
    } else {
        expect_word(p, "INTO")?;
        false
    };
    eat_word(p, "TABLE");
    let table = parse_name(p)?;
    let query = p.parse_query()?;
    Ok(Insert { table, overwrite, query })
}

/// A `SET` key or value: quoted as Flink writes them, or bare words joined by dots.
fn option_key(p: &mut Parser) -> Result<String> {
    let token = p.next_token();
    Ok(match token.token {
        Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s,
        Token::Word(w) => {
            let mut s = w.value;
            while p.consume_token(&Token::Period) {
                s.push('.');
                s.push_str(&ident(p)?);
            }
            s
        }
        Token::Number(n, _) => n,
        other => return Err(SqlError::Parse(format!("Expected: an option key or value, found: {other} at {}", token.span.start))),
    })
}

/// The parts of a name as the catalog stores them.
pub fn name_parts(name: &ObjectName) -> Vec<String> {
    name.0.iter().filter_map(|p| p.as_ident().map(|i| i.value.clone())).collect()
}

#[cfg(test)]
mod tests;
