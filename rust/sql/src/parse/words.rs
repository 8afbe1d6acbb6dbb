//! Small helpers over sqlparser's tokens for the statements parsed here (keywords are matched by
//! their text, so words sqlparser does not know, like WATERMARK, work the same way).

use datafusion_sql::sqlparser::parser::Parser;
use datafusion_sql::sqlparser::tokenizer::Token;

use crate::error::{Result, SqlError};

/// The upper-cased unquoted word `n` tokens ahead, if it is one.
pub fn peek_word(p: &Parser, n: usize) -> Option<String> {
    match &p.peek_nth_token_ref(n).token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

pub fn eat_word(p: &mut Parser, word: &str) -> bool {
    eat_words(p, &[word])
}

/// Consumes `words` if they all come next; otherwise consumes nothing.
pub fn eat_words(p: &mut Parser, words: &[&str]) -> bool {
    if words.iter().enumerate().all(|(i, w)| peek_word(p, i).as_deref() == Some(*w)) {
        for _ in words {
            p.next_token();
        }
        true
    } else {
        false
    }
}

pub fn expect_word(p: &mut Parser, word: &str) -> Result<()> {
    if eat_word(p, word) {
        Ok(())
    } else {
        let found = p.peek_token();
        Err(SqlError::Parse(format!("Expected: {word}, found: {} at {}", found.token, found.span.start)))
    }
}

/// An identifier, quoted or not.
pub fn ident(p: &mut Parser) -> Result<String> {
    Ok(p.parse_identifier()?.value)
}

/// A possibly qualified name (`cat.db.t`).
pub fn parse_name(p: &mut Parser) -> Result<Vec<String>> {
    let mut parts = vec![ident(p)?];
    while p.consume_token(&Token::Period) {
        parts.push(ident(p)?);
    }
    Ok(parts)
}

pub fn string_literal(p: &mut Parser) -> Result<String> {
    Ok(p.parse_literal_string()?)
}
