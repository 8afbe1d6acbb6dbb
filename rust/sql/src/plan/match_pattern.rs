//! MATCH_RECOGNIZE's PATTERN to the sequence of quantified variables Flink's CEP runs, with the
//! refusals of Flink 2.3's pattern translation (their texts are Flink's).

use datafusion_sql::sqlparser::ast::{MatchRecognizePattern as P, MatchRecognizeSymbol, RepetitionQuantifier as Q};

use crate::error::{Result, SqlError};

/// One variable of the pattern and how many consecutive rows it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Index into the pattern's variables.
    pub var: usize,
    pub min: u32,
    /// `None`: unbounded.
    pub max: Option<u32>,
    /// A greedy quantifier (not `?`-suffixed) with a choice of counts: a row its variable can
    /// take is not given to the next variable (Flink's greedy condition).
    pub greedy: bool,
}

/// The pattern's elements in order, and the names of its variables (by first appearance).
pub fn compile(pattern: &P) -> Result<(Vec<Element>, Vec<String>)> {
    let mut names = Vec::new();
    let mut elements = Vec::new();
    let items: Vec<&P> = match pattern {
        P::Concat(items) => items.iter().collect(),
        other => vec![other],
    };
    for item in items {
        elements.push(element(item, &mut names)?);
    }
    if elements.iter().all(|e| e.min == 0) {
        return Err(SqlError::Unsupported(
            "Patterns that can produce empty matches are not supported. There must be at least one non-optional state.".into(),
        ));
    }
    if let Some(last) = elements.last() {
        if last.greedy && last.max != Some(1) {
            return Err(SqlError::Unsupported(
                "Greedy quantifiers are not allowed as the last element of a Pattern yet. Finish your pattern with either a simple variable or reluctant quantifier.".into(),
            ));
        }
    }
    Ok((elements, names))
}

fn variable(s: &MatchRecognizeSymbol, names: &mut Vec<String>) -> Result<usize> {
    match s {
        MatchRecognizeSymbol::Named(i) => Ok(match names.iter().position(|n| n == &i.value) {
            Some(p) => p,
            None => {
                names.push(i.value.clone());
                names.len() - 1
            }
        }),
        other => Err(SqlError::Unsupported(format!("Expression not supported: {other}. Anchors (^, $) are not supported in Flink's MATCH_RECOGNIZE."))),
    }
}

fn bounds(q: &Q) -> (u32, Option<u32>) {
    match q {
        Q::ZeroOrMore => (0, None),
        Q::OneOrMore => (1, None),
        Q::AtMostOne => (0, Some(1)),
        Q::Exactly(n) => (*n, Some(*n)),
        Q::AtLeast(n) => (*n, None),
        Q::AtMost(m) => (0, Some(*m)),
        Q::Range(n, m) => (*n, Some(*m)),
    }
}

fn element(p: &P, names: &mut Vec<String>) -> Result<Element> {
    match p {
        P::Symbol(s) => Ok(Element { var: variable(s, names)?, min: 1, max: Some(1), greedy: false }),
        // sqlparser reads the reluctant `B*?` as `(B*)?`: a `?` right after a quantifier.
        P::Repetition(inner, Q::AtMostOne) if matches!(inner.as_ref(), P::Repetition(..)) => {
            let P::Repetition(base, q) = inner.as_ref() else { unreachable!() };
            let var = symbol_of(base, names)?;
            if matches!(q, Q::AtMostOne) {
                return Err(SqlError::Unsupported("Reluctant optional variables are not supported yet.".into()));
            }
            let (min, max) = bounds(q);
            Ok(Element { var, min, max, greedy: false })
        }
        // Flink's translation makes `{,m}` a `times(0, m)`, which its CEP refuses (`{0,m}` is not).
        P::Repetition(_, Q::AtMost(_)) => Err(SqlError::Unsupported("The from should be a positive number greater than 0.".into())),
        P::Repetition(base, q) => {
            let var = symbol_of(base, names)?;
            let (min, max) = bounds(q);
            if max.is_some_and(|m| m < min) || max == Some(0) {
                return Err(SqlError::Validation(format!("Invalid quantifier {q} of {base}: the upper bound must be at least the lower bound and positive")));
            }
            Ok(Element { var, min, max, greedy: max != Some(min) })
        }
        other => Err(unsupported(other)),
    }
}

fn symbol_of(p: &P, names: &mut Vec<String>) -> Result<usize> {
    match p {
        P::Symbol(s) => variable(s, names),
        other => Err(unsupported(other)),
    }
}

fn unsupported(p: &P) -> SqlError {
    match p {
        P::Group(inner) if matches!(inner.as_ref(), P::Alternation(_)) => unsupported(inner),
        P::Alternation(_) => SqlError::Unsupported(format!("Expression not supported: {p}. Currently, CEP doesn't support branching patterns.")),
        P::Group(_) | P::Concat(_) => SqlError::Unsupported(format!("Expression not supported: {p} Group patterns are not supported yet.")),
        P::Permute(_) => SqlError::Unsupported(format!("Expression not supported: {p}. PERMUTE is not supported.")),
        P::Exclude(_) => SqlError::Unsupported(format!("Expression not supported: {p}. Pattern exclusions are not supported.")),
        _ => SqlError::Unsupported(format!("Expression not supported: {p}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_one;
    use crate::parse::Statement;
    use datafusion_sql::sqlparser::ast::{SetExpr, TableFactor};

    fn pattern(p: &str) -> Result<(Vec<Element>, Vec<String>)> {
        let sql = format!("SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.x AS x PATTERN ({p}) DEFINE A AS A.x > 0)");
        let Statement::Query(q) = parse_one(&sql)? else { panic!("a query") };
        let SetExpr::Select(s) = q.body.as_ref() else { panic!("a select") };
        let TableFactor::MatchRecognize { pattern, .. } = &s.from[0].relation else { panic!("match_recognize") };
        compile(pattern)
    }

    fn e(var: usize, min: u32, max: Option<u32>, greedy: bool) -> Element {
        Element { var, min, max, greedy }
    }

    #[test]
    fn quantifiers_greedy_and_reluctant() {
        let (els, names) = pattern("A B+ C*? D{2} E{2,}? F{1,3} G{0,2}? H").unwrap();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F", "G", "H"]);
        assert_eq!(
            els,
            [e(0, 1, Some(1), false), e(1, 1, None, true), e(2, 0, None, false), e(3, 2, Some(2), false), e(4, 2, None, false), e(5, 1, Some(3), true), e(6, 0, Some(2), false), e(7, 1, Some(1), false)]
        );
    }

    #[test]
    fn refusals_have_flinks_words() {
        let msg = |p: &str| pattern(p).unwrap_err().to_string();
        assert!(msg("A B+").contains("Greedy quantifiers are not allowed as the last element"));
        assert!(msg("A*").contains("Patterns that can produce empty matches are not supported"));
        assert!(msg("A?? B").contains("Reluctant optional variables are not supported yet."));
        assert!(msg("(A | B) C").contains("CEP doesn't support branching patterns"));
        assert!(msg("(A B)+ C").contains("Group patterns are not supported yet."));
        assert!(msg("A B{,2} C").contains("The from should be a positive number greater than 0."));
        // A greedy optional last variable is allowed (Flink plans `A B?`), and so is `{0,m}`.
        assert!(pattern("A B?").is_ok());
        assert!(pattern("A B{0,2} C").is_ok());
    }
}
