//! `CREATE TABLE` as Flink writes it: physical and computed columns, `WATERMARK FOR`, a primary
//! key that is `NOT ENFORCED`, `PARTITIONED BY` and the `WITH` options. sqlparser has no watermark
//! clause, so the column list is parsed here on sqlparser's tokens.

use datafusion_sql::sqlparser::ast::Expr;
use datafusion_sql::sqlparser::parser::Parser;
use datafusion_sql::sqlparser::tokenizer::Token;

use super::words::{eat_word, eat_words, expect_word, ident, parse_name, peek_word, string_literal};
use crate::error::{Result, SqlError};
use crate::types::{parse_type, Typed};

#[derive(Debug, Clone)]
pub enum ColumnKind {
    Physical(Typed),
    /// `name AS expr`; its type is the expression's.
    Computed(Expr),
    /// `name type METADATA [FROM 'key'] [VIRTUAL]`.
    Metadata { ty: Typed, key: Option<String>, is_virtual: bool },
}

#[derive(Debug, Clone)]
pub struct ColumnDdl {
    pub name: String,
    pub kind: ColumnKind,
    pub comment: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WatermarkDdl {
    pub column: String,
    pub expr: Expr,
}

#[derive(Debug, Clone)]
pub struct CreateTable {
    pub name: Vec<String>,
    pub temporary: bool,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDdl>,
    pub watermark: Option<WatermarkDdl>,
    pub primary_key: Vec<String>,
    pub partitioned_by: Vec<String>,
    pub comment: Option<String>,
    pub options: Vec<(String, String)>,
}

/// Parses what follows `CREATE [TEMPORARY] TABLE`.
pub fn parse_create_table(p: &mut Parser, temporary: bool) -> Result<CreateTable> {
    let if_not_exists = eat_words(p, &["IF", "NOT", "EXISTS"]);
    let name = parse_name(p)?;
    let mut table = CreateTable {
        name,
        temporary,
        if_not_exists,
        columns: Vec::new(),
        watermark: None,
        primary_key: Vec::new(),
        partitioned_by: Vec::new(),
        comment: None,
        options: Vec::new(),
    };
    p.expect_token(&Token::LParen)?;
    loop {
        if eat_word(p, "WATERMARK") {
            expect_word(p, "FOR")?;
            let column = ident(p)?;
            expect_word(p, "AS")?;
            let expr = p.parse_expr()?;
            if table.watermark.replace(WatermarkDdl { column, expr }).is_some() {
                return Err(SqlError::Validation("Multiple WATERMARK statements is not supported yet.".into()));
            }
        } else if peek_word(p, 0).as_deref() == Some("PRIMARY") || peek_word(p, 0).as_deref() == Some("CONSTRAINT") {
            if eat_word(p, "CONSTRAINT") {
                ident(p)?;
            }
            expect_word(p, "PRIMARY")?;
            expect_word(p, "KEY")?;
            p.expect_token(&Token::LParen)?;
            table.primary_key = comma_separated_idents(p)?;
            p.expect_token(&Token::RParen)?;
            not_enforced(p)?;
        } else {
            let column = parse_column(p, &mut table.primary_key)?;
            table.columns.push(column);
        }
        if !p.consume_token(&Token::Comma) {
            break;
        }
    }
    p.expect_token(&Token::RParen)?;
    if eat_word(p, "COMMENT") {
        table.comment = Some(string_literal(p)?);
    }
    if eat_words(p, &["PARTITIONED", "BY"]) {
        p.expect_token(&Token::LParen)?;
        table.partitioned_by = comma_separated_idents(p)?;
        p.expect_token(&Token::RParen)?;
    }
    if eat_word(p, "WITH") {
        table.options = parse_options(p)?;
    }
    validate(&table)?;
    Ok(table)
}

/// `('key' = 'value', ...)`.
pub fn parse_options(p: &mut Parser) -> Result<Vec<(String, String)>> {
    let mut options = Vec::new();
    p.expect_token(&Token::LParen)?;
    if p.consume_token(&Token::RParen) {
        return Ok(options);
    }
    loop {
        let key = string_literal(p)?;
        p.expect_token(&Token::Eq)?;
        let value = string_literal(p)?;
        options.push((key, value));
        if !p.consume_token(&Token::Comma) {
            break;
        }
    }
    p.expect_token(&Token::RParen)?;
    Ok(options)
}

fn parse_column(p: &mut Parser, primary_key: &mut Vec<String>) -> Result<ColumnDdl> {
    let name = ident(p)?;
    if eat_word(p, "AS") {
        let expr = p.parse_expr()?;
        let comment = if eat_word(p, "COMMENT") { Some(string_literal(p)?) } else { None };
        return Ok(ColumnDdl { name, kind: ColumnKind::Computed(expr), comment });
    }
    let ty = parse_type(&type_text(p)?)?;
    let mut column = ColumnDdl { name, kind: ColumnKind::Physical(ty.clone()), comment: None };
    loop {
        if eat_word(p, "METADATA") {
            let key = if eat_word(p, "FROM") { Some(string_literal(p)?) } else { None };
            let is_virtual = eat_word(p, "VIRTUAL");
            column.kind = ColumnKind::Metadata { ty: ty.clone(), key, is_virtual };
        } else if eat_words(p, &["PRIMARY", "KEY"]) {
            not_enforced(p)?;
            *primary_key = vec![column.name.clone()];
        } else if eat_word(p, "COMMENT") {
            column.comment = Some(string_literal(p)?);
        } else {
            return Ok(column);
        }
    }
}

/// The tokens of a column's type, up to the next `,` or `)` at depth 0 or a column option.
fn type_text(p: &mut Parser) -> Result<String> {
    let mut text = String::new();
    let mut depth = 0i32;
    loop {
        let token = p.peek_token_ref().token.clone();
        let stop_word = matches!(peek_word(p, 0).as_deref(), Some("METADATA" | "PRIMARY" | "COMMENT"));
        match &token {
            Token::EOF => break,
            Token::Comma | Token::RParen if depth == 0 => break,
            _ if depth == 0 && stop_word => break,
            Token::LParen | Token::Lt => depth += 1,
            Token::RParen | Token::Gt => depth -= 1,
            Token::ShiftRight => depth -= 2,
            _ => {}
        }
        p.next_token();
        match token {
            Token::Word(w) if w.quote_style.is_some() => text.push_str(&format!("`{}`", w.value)),
            other => text.push_str(&other.to_string()),
        }
        text.push(' ');
    }
    if text.is_empty() {
        let found = p.peek_token();
        return Err(SqlError::Parse(format!("Expected: a column type, found: {found}")));
    }
    Ok(text)
}

fn not_enforced(p: &mut Parser) -> Result<()> {
    if eat_words(p, &["NOT", "ENFORCED"]) {
        Ok(())
    } else {
        Err(SqlError::Validation(
            "Flink doesn't support ENFORCED mode for PRIMARY KEY constraint. ENFORCED/NOT ENFORCED controls if the constraint checks are performed on the incoming/outgoing data. Flink does not own the data therefore the only supported mode is the NOT ENFORCED mode".into(),
        ))
    }
}

fn comma_separated_idents(p: &mut Parser) -> Result<Vec<String>> {
    let mut out = vec![ident(p)?];
    while p.consume_token(&Token::Comma) {
        out.push(ident(p)?);
    }
    Ok(out)
}

fn validate(table: &CreateTable) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for c in &table.columns {
        if !seen.insert(c.name.as_str()) {
            return Err(SqlError::Validation(format!("A column named '{}' already exists in the table.", c.name)));
        }
    }
    if let Some(wm) = &table.watermark {
        if !seen.contains(wm.column.as_str()) {
            return Err(SqlError::Validation(format!(
                "Invalid column name '{}' for rowtime attribute in watermark declaration. Available columns are: [{}]",
                wm.column,
                table.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    for k in &table.primary_key {
        if !seen.contains(k.as_str()) {
            return Err(SqlError::Validation(format!("Could not create a PRIMARY KEY with column '{k}'. Column does not exist.")));
        }
    }
    Ok(())
}
