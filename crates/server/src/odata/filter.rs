//! A small `$filter` language: parsed once into a tree, then evaluated against each item's
//! JSON. It covers what Graph's reference pages use on these resources: `eq ne gt ge lt le`,
//! `and or not`, parentheses, `in (...)`, `startswith`/`endswith`/`contains`, string,
//! number, boolean, `null` and date-time literals, and nested `a/b` property paths.

use super::query::bad_query;
use crate::errors::ApiError;
use graph_upload_models::GraphDateTime;
use graph_upload_models::time::OffsetDateTime;
use serde_json::Value;
use std::cmp::Ordering;

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A literal.
    Literal(Scalar),
    /// A property path (`status`, `status/state`).
    Path(Vec<String>),
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b`, `a eq b`, ...
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a in (x, y)`.
    In(Box<Expr>, Vec<Expr>),
    /// `startswith(a, 'x')` and its kin.
    Call(Function, Box<Expr>, Box<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// The string functions the emulator evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    StartsWith,
    EndsWith,
    Contains,
}

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    DateTime(OffsetDateTime),
    /// An object or array: only `eq null`/`ne null` mean something for it.
    Complex,
}

impl Scalar {
    /// The scalar for a JSON value (a missing property is `Null`, as in OData).
    pub(crate) fn of(value: Option<&Value>) -> Scalar {
        match value {
            None | Some(Value::Null) => Scalar::Null,
            Some(Value::Bool(b)) => Scalar::Bool(*b),
            Some(Value::Number(n)) => n.as_f64().map_or(Scalar::Null, Scalar::Number),
            Some(Value::String(s)) => Scalar::String(s.clone()),
            Some(_) => Scalar::Complex,
        }
    }

    /// OData ordering: `null` first; values of different kinds do not compare, except a
    /// string property against a date-time literal (Graph sends date-times as strings).
    pub(crate) fn compare(&self, other: &Scalar) -> Option<Ordering> {
        match (self, other) {
            (Scalar::Null, Scalar::Null) => Some(Ordering::Equal),
            (Scalar::Null, _) => Some(Ordering::Less),
            (_, Scalar::Null) => Some(Ordering::Greater),
            (Scalar::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
            (Scalar::Number(a), Scalar::Number(b)) => a.partial_cmp(b),
            (Scalar::String(a), Scalar::String(b)) => Some(a.cmp(b)),
            (Scalar::DateTime(a), Scalar::DateTime(b)) => Some(a.cmp(b)),
            (Scalar::String(a), Scalar::DateTime(b)) => date(a).map(|a| a.cmp(b)),
            (Scalar::DateTime(a), Scalar::String(b)) => date(b).map(|b| a.cmp(&b)),
            _ => None,
        }
    }
}

fn date(text: &str) -> Option<OffsetDateTime> {
    text.parse::<GraphDateTime>()
        .ok()
        .map(|t| t.as_offset_date_time())
}

/// The value at a property path of an item.
pub(crate) fn lookup<'a>(item: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(item, |value, name| value.get(name))
}

impl Expr {
    /// Whether `item` passes this filter.
    pub(crate) fn matches(&self, item: &Value) -> bool {
        self.eval(item) == Scalar::Bool(true)
    }

    fn eval(&self, item: &Value) -> Scalar {
        match self {
            Expr::Literal(value) => value.clone(),
            Expr::Path(path) => Scalar::of(lookup(item, path)),
            Expr::Not(inner) => match inner.eval(item) {
                Scalar::Bool(b) => Scalar::Bool(!b),
                _ => Scalar::Null,
            },
            Expr::Binary(BinaryOp::And, a, b) => Scalar::Bool(a.matches(item) && b.matches(item)),
            Expr::Binary(BinaryOp::Or, a, b) => Scalar::Bool(a.matches(item) || b.matches(item)),
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(item), b.eval(item));
                let ordering = a.compare(&b);
                let complex_null = matches!(
                    (&a, &b),
                    (Scalar::Complex, Scalar::Null) | (Scalar::Null, Scalar::Complex)
                );
                Scalar::Bool(match op {
                    BinaryOp::Eq => ordering == Some(Ordering::Equal),
                    BinaryOp::Ne => ordering != Some(Ordering::Equal) || complex_null,
                    // Ordering with null is false in OData, as in SQL.
                    _ if a == Scalar::Null || b == Scalar::Null => false,
                    BinaryOp::Gt => ordering == Some(Ordering::Greater),
                    BinaryOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
                    BinaryOp::Lt => ordering == Some(Ordering::Less),
                    BinaryOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
                    BinaryOp::And | BinaryOp::Or => false,
                })
            }
            Expr::In(value, list) => {
                let value = value.eval(item);
                Scalar::Bool(
                    list.iter()
                        .any(|x| value.compare(&x.eval(item)) == Some(Ordering::Equal)),
                )
            }
            Expr::Call(function, a, b) => match (a.eval(item), b.eval(item)) {
                (Scalar::String(a), Scalar::String(b)) => {
                    let (a, b) = (a.to_lowercase(), b.to_lowercase());
                    Scalar::Bool(match function {
                        Function::StartsWith => a.starts_with(&b),
                        Function::EndsWith => a.ends_with(&b),
                        Function::Contains => a.contains(&b),
                    })
                }
                _ => Scalar::Bool(false),
            },
        }
    }

    /// Every property path the expression names, to check them against the resource.
    pub(crate) fn paths(&self, out: &mut Vec<Vec<String>>) {
        match self {
            Expr::Literal(_) => {}
            Expr::Path(path) => out.push(path.clone()),
            Expr::Not(inner) => inner.paths(out),
            Expr::Binary(_, a, b) | Expr::Call(_, a, b) => {
                a.paths(out);
                b.paths(out);
            }
            Expr::In(value, list) => {
                value.paths(out);
                list.iter().for_each(|x| x.paths(out));
            }
        }
    }
}

/// A token of the filter language.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Literal(Scalar),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, ApiError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => (out.push(Token::Open), i += 1).1,
            ')' => (out.push(Token::Close), i += 1).1,
            ',' => (out.push(Token::Comma), i += 1).1,
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(malformed("a string literal is not closed")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            s.push(*c);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Literal(Scalar::String(s)));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || ".:-+".contains(chars[i]))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Token::Literal(number_or_date(&text)?));
            }
            c if c.is_alphabetic() || c == '_' || c == '@' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || "_/.@".contains(chars[i])) {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(malformed(&format!("unexpected character {other:?}"))),
        }
    }
    Ok(out)
}

fn number_or_date(text: &str) -> Result<Scalar, ApiError> {
    if let Ok(n) = text.parse::<f64>()
        && n.is_finite()
    {
        return Ok(Scalar::Number(n));
    }
    if text.contains('T')
        && let Some(t) = date(text)
    {
        return Ok(Scalar::DateTime(t));
    }
    Err(malformed(&format!(
        "{text:?} is not a number or a date-time"
    )))
}

fn malformed(reason: &str) -> ApiError {
    bad_query(format!("Invalid $filter: {reason}."))
}

/// Parses a `$filter` value.
pub(crate) fn parse(text: &str) -> Result<Expr, ApiError> {
    let tokens = tokens(text)?;
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(malformed("unexpected text after the expression"));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.peek_word() == Some(word);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), ApiError> {
        if self.tokens.get(self.at) == Some(&token) {
            self.at += 1;
            Ok(())
        } else {
            Err(malformed(&format!("expected {what}")))
        }
    }

    fn or(&mut self) -> Result<Expr, ApiError> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            left = Expr::Binary(BinaryOp::Or, Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ApiError> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            left = Expr::Binary(BinaryOp::And, Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ApiError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ApiError> {
        let left = self.primary()?;
        let op = match self.peek_word() {
            Some("eq") => BinaryOp::Eq,
            Some("ne") => BinaryOp::Ne,
            Some("gt") => BinaryOp::Gt,
            Some("ge") => BinaryOp::Ge,
            Some("lt") => BinaryOp::Lt,
            Some("le") => BinaryOp::Le,
            Some("in") => {
                self.at += 1;
                self.expect(Token::Open, "'(' after in")?;
                let mut list = vec![self.primary()?];
                while self.tokens.get(self.at) == Some(&Token::Comma) {
                    self.at += 1;
                    list.push(self.primary()?);
                }
                self.expect(Token::Close, "')' closing the in list")?;
                return Ok(Expr::In(Box::new(left), list));
            }
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.primary()?;
        Ok(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    fn primary(&mut self) -> Result<Expr, ApiError> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| malformed("the expression ends too early"))?;
        self.at += 1;
        match token {
            Token::Open => {
                let inner = self.or()?;
                self.expect(Token::Close, "')'")?;
                Ok(inner)
            }
            Token::Literal(value) => Ok(Expr::Literal(value)),
            Token::Word(word) => self.word(word),
            Token::Close | Token::Comma => Err(malformed("expected a value")),
        }
    }

    fn word(&mut self, word: String) -> Result<Expr, ApiError> {
        let function = match word.as_str() {
            "true" => return Ok(Expr::Literal(Scalar::Bool(true))),
            "false" => return Ok(Expr::Literal(Scalar::Bool(false))),
            "null" => return Ok(Expr::Literal(Scalar::Null)),
            "startswith" => Some(Function::StartsWith),
            "endswith" => Some(Function::EndsWith),
            "contains" => Some(Function::Contains),
            _ => None,
        };
        let is_call = self.tokens.get(self.at) == Some(&Token::Open);
        match (function, is_call) {
            (Some(function), true) => {
                self.at += 1;
                let a = self.or()?;
                self.expect(Token::Comma, &format!("',' in {word}(...)"))?;
                let b = self.or()?;
                self.expect(Token::Close, &format!("')' closing {word}(...)"))?;
                Ok(Expr::Call(function, Box::new(a), Box::new(b)))
            }
            (None, true) => Err(bad_query(format!(
                "An unknown function with name '{word}' was found."
            ))),
            _ if is_keyword(&word) => Err(malformed(&format!("{word:?} is not a value"))),
            _ => {
                let path: Vec<String> = word.split('/').map(str::to_owned).collect();
                if path.iter().any(String::is_empty) {
                    return Err(malformed(&format!("{word:?} is not a property path")));
                }
                Ok(Expr::Path(path))
            }
        }
    }
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "and" | "or" | "not" | "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "in"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(filter: &str, item: Value) -> bool {
        parse(filter).unwrap().matches(&item)
    }

    #[test]
    fn comparisons_logic_and_functions() {
        let task = json!({"title": "Buy milk", "size": 5, "done": false,
            "status": {"state": "completed"}, "created": "2026-01-02T03:04:05Z"});
        assert!(check("title eq 'Buy milk'", task.clone()));
        assert!(check("size gt 4 and size le 5", task.clone()));
        assert!(check("not (size lt 5) and done eq false", task.clone()));
        assert!(check(
            "size eq 1 or status/state eq 'completed'",
            task.clone()
        ));
        assert!(check(
            "startswith(title,'buy') and contains(title, 'MILK')",
            task.clone()
        ));
        assert!(check("created ge 2026-01-01T00:00:00Z", task.clone()));
        assert!(!check("created lt 2026-01-01T00:00:00Z", task.clone()));
        assert!(check("missing eq null and title ne null", task.clone()));
        assert!(check("size in (1, 5)", task.clone()));
        assert!(check("title eq 'it''s'", json!({"title": "it's"})));
        assert!(!check("missing gt 3", task));
    }

    #[test]
    fn malformed_filters_are_refused() {
        for bad in [
            "",
            "title eq",
            "title eq 'x",
            "(title eq 'x'",
            "title eq 'x')",
            "title eq 'x' garbage",
            "frobnicate(title, 'x')",
            "startswith(title 'x')",
            "title # 'x'",
            "and eq 1",
            "size eq 12abc",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parses");
        }
    }
}
