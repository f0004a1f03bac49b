//! The size, model and endpoint for new turns, and where each comes from.
//!
//! Three layers, highest first: what the command line says for this run,
//! what the user last picked in the conversation (`s` / `m` in the app,
//! saved in `conversation.json` as `settings`), and the configuration
//! (config file and environment, over the built-in defaults). Each field
//! is decided on its own: picking a size does not pin the model.
//!
//! The saved layer comes from a file that may come from someone else, so
//! it is read leniently and checked like typed input: a value that does
//! not pass is refused with a message and not used (the conversation still
//! opens), and the next save drops it. Pure: no I/O.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::size::SizeSpec;
use crate::tree::node::{Endpoint, RequestParams};

/// Some of the three settings: `None` leaves a field to the layer below.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TurnSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<SizeSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
}

impl TurnSettings {
    pub fn is_empty(&self) -> bool {
        self.size.is_none() && self.model.is_none() && self.endpoint.is_none()
    }

    /// These settings over `lower`: each field set here wins.
    pub(crate) fn over(&self, lower: &RequestParams) -> RequestParams {
        RequestParams {
            endpoint: self.endpoint.unwrap_or(lower.endpoint),
            model: self.model.clone().unwrap_or_else(|| lower.model.clone()),
            size: self.size.unwrap_or(lower.size),
        }
    }
}

/// What new turns are sent with: the command line's flags over the
/// conversation's saved choice over the configuration.
pub fn for_new_turns(
    flags: &TurnSettings,
    saved: &SavedSettings,
    config: &RequestParams,
) -> RequestParams {
    flags.over(&saved.picked.over(config))
}

/// The longest model name accepted from a file.
pub(crate) const MAX_MODEL_CHARS: usize = 100;

/// Whether `model` may be used as a model name read from a file: 1 to
/// [`MAX_MODEL_CHARS`] visible ASCII characters (no spaces, no control or
/// direction-changing characters that could disguise it on screen).
pub(crate) fn check_model(model: &str) -> Result<(), String> {
    if model.is_empty() {
        return Err("the model name is empty".to_owned());
    }
    if model.chars().count() > MAX_MODEL_CHARS {
        return Err(format!(
            "the model name is longer than {MAX_MODEL_CHARS} characters"
        ));
    }
    if !model.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "model {:?} has characters a model name does not have (only visible ASCII, no spaces)",
            cut(model)
        ));
    }
    Ok(())
}

/// The conversation's own choice (`settings` in `conversation.json`), and
/// what was refused when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SavedSettings {
    /// What the user picked with `s` / `m` in this conversation.
    pub(crate) picked: TurnSettings,
    /// Values in the file that were not accepted, one message each (what
    /// was found, why it was refused); never saved back.
    pub refused: Vec<String>,
}

impl SavedSettings {
    /// Nothing to save (refused values are not written back).
    pub fn is_empty(&self) -> bool {
        self.picked.is_empty()
    }

    /// Remembers a size the user picked.
    pub fn pick_size(&mut self, size: SizeSpec) {
        self.picked.size = Some(size);
    }

    /// Remembers a model and endpoint the user picked (the model picker
    /// chooses both at once).
    pub fn pick_model(&mut self, model: &str, endpoint: Endpoint) {
        self.picked.model = Some(model.to_owned());
        self.picked.endpoint = Some(endpoint);
    }
}

impl Serialize for SavedSettings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.picked.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SavedSettings {
    /// Leniently: any JSON value is accepted, each field checked on its
    /// own, and what fails is refused (with a message) instead of failing
    /// the whole file.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SavedSettings::read(&Value::deserialize(d)?))
    }
}

impl SavedSettings {
    fn read(value: &Value) -> SavedSettings {
        let mut out = SavedSettings::default();
        let Value::Object(map) = value else {
            out.refused.push(format!(
                "the saved settings are {}, not an object",
                kind_of(value)
            ));
            return out;
        };
        let mut field = |name: &str| -> Option<String> {
            match map.get(name)? {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => {
                    out.refused.push(format!(
                        "the saved {name} is {}, not a string",
                        kind_of(other)
                    ));
                    None
                }
            }
        };
        let (size, model, endpoint) = (field("size"), field("model"), field("endpoint"));
        if let Some(s) = size {
            match s.parse::<SizeSpec>() {
                Ok(size) => out.picked.size = Some(size),
                // The parser's message quotes the input: only when short.
                Err(e) if s.chars().count() <= CUT_CHARS => {
                    out.refused.push(format!("the saved size: {e}"));
                }
                Err(_) => out.refused.push(format!(
                    "the saved size {:?} is not WIDTHxHEIGHT or auto",
                    cut(&s)
                )),
            }
        }
        if let Some(m) = model {
            match check_model(&m) {
                Ok(()) => out.picked.model = Some(m),
                Err(e) => out.refused.push(format!("the saved model: {e}")),
            }
        }
        if let Some(e) = endpoint {
            match e.parse::<Endpoint>() {
                Ok(endpoint) => out.picked.endpoint = Some(endpoint),
                Err(_) => out.refused.push(format!(
                    "the saved endpoint {:?} is not chat or images",
                    cut(&e)
                )),
            }
        }
        out
    }
}

/// A value from the file, cut for a message.
fn cut(s: &str) -> String {
    if s.chars().count() <= CUT_CHARS {
        s.to_owned()
    } else {
        s.chars().take(CUT_CHARS).chain(['…']).collect()
    }
}

/// The most characters of a file's value quoted in a message.
const CUT_CHARS: usize = 40;

/// What a JSON value is, for messages about a file: "a number", "an
/// object"…
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a JSON array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
