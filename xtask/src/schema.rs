//! The checked-in description of Graph's wire types (`crates/models/schema/graph.json`).
//!
//! Unknown keys are refused so that a typo in the schema fails codegen instead of being ignored.

use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    #[serde(rename = "$comment", default)]
    pub _comment: String,
    pub enums: Vec<EnumDef>,
    pub entities: Vec<Entity>,
    pub constants: Vec<ConstantGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDef {
    pub name: String,
    pub graph: String,
    pub doc: String,
    pub values: Vec<EnumValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub rust: String,
    pub json: String,
    pub doc: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub name: String,
    pub graph: String,
    pub doc: String,
    #[serde(default)]
    pub pascal_case: bool,
    pub properties: Vec<Property>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Property {
    pub name: String,
    #[serde(default)]
    pub json: Option<String>,
    #[serde(rename = "type")]
    pub ty: String,
    pub doc: String,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub default: bool,
    /// With `default`: an empty string or list is left out when writing (ids of create requests).
    #[serde(default)]
    pub omit_empty: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantGroup {
    pub module: String,
    pub doc: String,
    pub values: Vec<Constant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constant {
    pub rust: String,
    pub value: String,
    pub doc: String,
}

/// A property type resolved against the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    U64,
    Bool,
    DateTime,
    UploadUrl,
    Json,
    Enum(String),
    Entity(String),
    List(Box<Type>),
}

impl Property {
    /// The JSON member name: explicit, or the camelCase of the Rust name.
    pub fn json_name(&self) -> String {
        self.json.clone().unwrap_or_else(|| camel_case(&self.name))
    }
}

impl Schema {
    pub fn parse(text: &str) -> Result<Schema, String> {
        let schema: Schema =
            serde_json::from_str(text).map_err(|error| format!("schema is not valid: {error}"))?;
        schema.validate()?;
        Ok(schema)
    }

    /// Resolves a type name (`list<T>`, a primitive, or an enum/entity of this schema).
    pub fn resolve(&self, name: &str) -> Result<Type, String> {
        if let Some(inner) = name
            .strip_prefix("list<")
            .and_then(|rest| rest.strip_suffix('>'))
        {
            return Ok(Type::List(Box::new(self.resolve(inner)?)));
        }
        Ok(match name {
            "string" => Type::String,
            "u64" => Type::U64,
            "bool" => Type::Bool,
            "datetime" => Type::DateTime,
            "upload_url" => Type::UploadUrl,
            "json" => Type::Json,
            other if self.enums.iter().any(|e| e.name == other) => Type::Enum(other.to_owned()),
            other if self.entities.iter().any(|e| e.name == other) => {
                Type::Entity(other.to_owned())
            }
            other => return Err(format!("unknown type `{other}`")),
        })
    }

    fn validate(&self) -> Result<(), String> {
        let mut names = BTreeSet::new();
        for name in self
            .enums
            .iter()
            .map(|e| &e.name)
            .chain(self.entities.iter().map(|e| &e.name))
        {
            if !names.insert(name) {
                return Err(format!("type `{name}` is defined twice"));
            }
        }
        for entity in &self.entities {
            let mut fields = BTreeSet::new();
            for property in &entity.properties {
                let at = format!("{}.{}", entity.name, property.name);
                if !fields.insert(&property.name) {
                    return Err(format!("{at} is defined twice"));
                }
                self.resolve(&property.ty)
                    .map_err(|error| format!("{at}: {error}"))?;
                if property.optional && property.default {
                    return Err(format!("{at} cannot be both optional and default"));
                }
                let ty = self.resolve(&property.ty)?;
                if property.omit_empty
                    && !(property.default && matches!(ty, Type::String | Type::List(_)))
                {
                    return Err(format!(
                        "{at}: omit_empty needs `default` and a string or list type"
                    ));
                }
                if property.doc.trim().is_empty() {
                    return Err(format!("{at} has no doc"));
                }
            }
        }
        Ok(())
    }
}

/// `document_name` -> `documentName`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `documentName` -> `DocumentName` (To Do's casing of PUT replies).
pub fn pascal_case(camel: &str) -> String {
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_pascal_case_follow_graph_names() {
        assert_eq!(camel_case("next_expected_ranges"), "nextExpectedRanges");
        assert_eq!(camel_case("size"), "size");
        assert_eq!(pascal_case("nextExpectedRanges"), "NextExpectedRanges");
    }

    #[test]
    fn schema_with_unknown_type_is_refused() {
        let text = r#"{"enums": [], "constants": [], "entities": [
            {"name": "A", "graph": "a", "doc": "d", "properties": [
                {"name": "x", "type": "strng", "doc": "d"}]}]}"#;
        let error = Schema::parse(text).err().unwrap_or_default();
        assert!(error.contains("unknown type `strng`"), "{error}");
    }

    #[test]
    fn schema_with_misspelt_key_is_refused() {
        let text = r#"{"enums": [], "constants": [], "entities": [
            {"name": "A", "graph": "a", "doc": "d", "properties": [
                {"name": "x", "type": "string", "doc": "d", "optinal": true}]}]}"#;
        assert!(Schema::parse(text).is_err());
    }
}
