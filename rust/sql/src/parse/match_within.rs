//! `PATTERN (...) WITHIN INTERVAL '5' MINUTE` in MATCH_RECOGNIZE: Flink has the WITHIN clause,
//! sqlparser does not. Before parsing, its tokens are moved into the DEFINE list as the
//! definition of the reserved symbol [`WITHIN_SYMBOL`], which the planner takes back out.

use datafusion_sql::sqlparser::tokenizer::{Token, TokenWithSpan, Word};

/// The DEFINE symbol that carries a WITHIN interval from the parser to the planner.
pub const WITHIN_SYMBOL: &str = "__oxflow_within";

fn is_word(t: &TokenWithSpan, word: &str) -> bool {
    matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

fn next_solid(tokens: &[TokenWithSpan], mut i: usize) -> usize {
    while i < tokens.len() && matches!(tokens[i].token, Token::Whitespace(_)) {
        i += 1;
    }
    i
}

/// The tokens with every `PATTERN (...) WITHIN <interval> DEFINE` rewritten to
/// `PATTERN (...) DEFINE __oxflow_within AS <interval>,`.
pub fn move_within(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        if !is_word(&tokens[i], "PATTERN") {
            i += 1;
            continue;
        }
        let open = next_solid(&tokens, i + 1);
        if open >= tokens.len() || tokens[open].token != Token::LParen {
            i += 1;
            continue;
        }
        // The pattern's closing parenthesis.
        let mut depth = 0usize;
        let mut close = open;
        while close < tokens.len() {
            match tokens[close].token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            close += 1;
        }
        let within = next_solid(&tokens, close + 1);
        if within >= tokens.len() || !is_word(&tokens[within], "WITHIN") {
            i = close;
            continue;
        }
        let Some(define) = (within..tokens.len()).find(|&k| is_word(&tokens[k], "DEFINE")) else {
            i = within;
            continue;
        };
        let interval: Vec<TokenWithSpan> = tokens[within + 1..define].to_vec();
        let span = tokens[within].span;
        let word = |value: &str| TokenWithSpan {
            token: Token::Word(Word { value: value.to_string(), quote_style: None, keyword: datafusion_sql::sqlparser::keywords::Keyword::NoKeyword }),
            span,
        };
        let space = || TokenWithSpan { token: Token::Whitespace(datafusion_sql::sqlparser::tokenizer::Whitespace::Space), span };
        let mut moved = vec![space(), word(WITHIN_SYMBOL), space(), TokenWithSpan { token: Token::Word(Word { value: "AS".into(), quote_style: None, keyword: datafusion_sql::sqlparser::keywords::Keyword::AS }), span }];
        moved.extend(interval);
        moved.push(TokenWithSpan { token: Token::Comma, span });
        // DEFINE stays where WITHIN was; the interval follows it as the first definition.
        let define_token = tokens[define].clone();
        tokens.splice(within..=define, std::iter::once(define_token).chain(moved));
        i = within + 1;
    }
    tokens
}
