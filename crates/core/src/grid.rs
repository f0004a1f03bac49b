//! Grids: one prompt fanned out across several sizes and/or models, each
//! (size, model) cell a sibling turn of its own (and a billed call).
//!
//! The tree needs nothing new for a grid: every sibling already records
//! the size and model it was asked with, so the layout is read back from
//! them (`GridLayout::of`). What is here is the lists a user types
//! (`1280x720,2048x1152`), checked whole before anything is sent, the cells
//! they make, and that layout. Pure: no I/O.

use std::fmt;
use std::str::FromStr;

use crate::size::SizeSpec;
use crate::tree::{Conversation, MAX_FAN_OUT, NodeId, RequestParams, Role};

/// A comma list of sizes (`1280x720,2048x1152`), each checked against the
/// size table; none twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeList(Vec<SizeSpec>);

/// A comma list of model names (`gpt-image-2-vip,gpt-image-2-all`); none
/// empty, none twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelList(Vec<String>);

/// Why a list was refused: which entry and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ListError(String);

impl SizeList {
    pub fn one(size: SizeSpec) -> SizeList {
        SizeList(vec![size])
    }
    pub fn sizes(&self) -> &[SizeSpec] {
        &self.0
    }
    /// The size when the list has exactly one.
    pub fn single(&self) -> Option<SizeSpec> {
        match self.0.as_slice() {
            [s] => Some(*s),
            _ => None,
        }
    }
}

impl ModelList {
    pub fn one(model: &str) -> ModelList {
        ModelList(vec![model.to_owned()])
    }
    pub fn models(&self) -> &[String] {
        &self.0
    }
    /// The model when the list has exactly one.
    pub fn single(&self) -> Option<&str> {
        match self.0.as_slice() {
            [m] => Some(m),
            _ => None,
        }
    }
}

/// Splits `input` at commas; an empty entry (`a,,b`, a trailing comma) is
/// refused, as is one given twice.
fn entries<'a>(input: &'a str, what: &str) -> Result<Vec<&'a str>, ListError> {
    let list: Vec<&str> = input.split(',').map(str::trim).collect();
    if list.iter().any(|e| e.is_empty()) {
        return Err(ListError(format!(
            "{input:?} has an empty {what}; separate {what}s with single commas"
        )));
    }
    for (i, e) in list.iter().enumerate() {
        if list[..i].contains(e) {
            return Err(ListError(format!("{what} {e} is listed twice")));
        }
    }
    if list.len() > MAX_FAN_OUT {
        return Err(ListError(format!(
            "{} {what}s listed; one prompt may start at most {MAX_FAN_OUT} calls",
            list.len()
        )));
    }
    Ok(list)
}

impl FromStr for SizeList {
    type Err = ListError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if !input.contains(',') {
            // One size: its own message, as a lone `--size` always said.
            let size = input
                .parse::<SizeSpec>()
                .map_err(|e| ListError(e.to_string()))?;
            return Ok(SizeList(vec![size]));
        }
        let mut sizes = Vec::new();
        for e in entries(input, "size")? {
            sizes.push(
                e.parse::<SizeSpec>()
                    .map_err(|err| ListError(format!("in the list {input:?}: {err}")))?,
            );
        }
        Ok(SizeList(sizes))
    }
}

impl FromStr for ModelList {
    type Err = ListError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if !input.contains(',') {
            // One model: taken as a lone `--model` always was.
            return Ok(ModelList(vec![input.to_owned()]));
        }
        let list = entries(input, "model")?;
        for e in &list {
            crate::settings::check_model(e).map_err(ListError)?;
        }
        Ok(ModelList(list.into_iter().map(str::to_owned).collect()))
    }
}

impl fmt::Display for SizeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(","))
    }
}

impl fmt::Display for ModelList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

/// What to fan a prompt out across: sizes and models (an empty list keeps
/// the turn's own), and how many variants of each cell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GridSpec {
    pub sizes: Vec<SizeSpec>,
    pub models: Vec<String>,
}

impl GridSpec {
    /// The cells over `base` (the size, model and endpoint new turns get):
    /// sizes are rows and models columns, row by row; each cell `variants`
    /// times in a row. Fails when that is more than [`MAX_FAN_OUT`] calls,
    /// or when a cell asks a model for a size it cannot make
    /// ([`crate::model::cannot_make`]: it would be billed for a picture it
    /// cannot give).
    pub fn cells(
        &self,
        base: &RequestParams,
        variants: usize,
    ) -> Result<Vec<RequestParams>, ListError> {
        let calls = self.calls(variants)?;
        let sizes = if self.sizes.is_empty() {
            vec![base.size]
        } else {
            self.sizes.clone()
        };
        let models = if self.models.is_empty() {
            vec![base.model.clone()]
        } else {
            self.models.clone()
        };
        let mut out = Vec::with_capacity(calls);
        for size in &sizes {
            for model in &models {
                if let Some(why) = crate::model::cannot_make(model, *size) {
                    let alone = if models.len() > 1 {
                        "; a grid is every size with every model: send that size with the other model on its own"
                    } else {
                        ""
                    };
                    return Err(ListError(format!(
                        "the cell {size} × {model}: {why}{alone}"
                    )));
                }
                for _ in 0..variants {
                    out.push(RequestParams {
                        endpoint: base.endpoint,
                        model: model.clone(),
                        size: *size,
                    });
                }
            }
        }
        Ok(out)
    }

    /// How many calls `variants` of each cell make; more than
    /// [`MAX_FAN_OUT`] is refused, with the arithmetic.
    pub fn calls(&self, variants: usize) -> Result<usize, ListError> {
        let (sizes, models) = (self.sizes.len().max(1), self.models.len().max(1));
        let calls = sizes * models * variants;
        if calls > MAX_FAN_OUT {
            return Err(ListError(format!(
                "{sizes} size(s) × {models} model(s) × {variants} variant(s) is {calls} calls; \
                 one prompt may start at most {MAX_FAN_OUT}: list fewer sizes or models, or ask fewer --variants"
            )));
        }
        Ok(calls)
    }

    /// The lists as typed in one line (the app's grid input): a comma list
    /// of sizes and/or one of models, apart by spaces, in either order
    /// (`1280x720,2048x1152 gpt-image-2-vip,gpt-image-2-all`). A list
    /// whose first entry starts with a digit or is `auto` is sizes.
    pub fn parse_line(line: &str) -> Result<GridSpec, ListError> {
        let mut spec = GridSpec::default();
        for word in line.split_whitespace() {
            let sizes = word.starts_with(|c: char| c.is_ascii_digit()) || word.starts_with("auto");
            if sizes {
                if !spec.sizes.is_empty() {
                    return Err(ListError(
                        "two lists of sizes: put every size in one comma list".to_owned(),
                    ));
                }
                spec.sizes = word.parse::<SizeList>()?.0;
            } else {
                if !spec.models.is_empty() {
                    return Err(ListError(
                        "two lists of models: put every model in one comma list".to_owned(),
                    ));
                }
                let list: ModelList = word.parse()?;
                for m in &list.0 {
                    crate::settings::check_model(m).map_err(ListError)?;
                }
                spec.models = list.0;
            }
        }
        if spec.sizes.is_empty() && spec.models.is_empty() {
            return Err(ListError(
                "type sizes and/or models as comma lists, e.g. 1280x720,2048x1152 gpt-image-2-vip,gpt-image-2-all".to_owned(),
            ));
        }
        Ok(spec)
    }

    /// [`GridSpec::parse_line`], then its cells over `base` (refused past
    /// [`MAX_FAN_OUT`] calls, or with a cell its model cannot make); with
    /// how many calls it makes.
    pub fn checked_line(line: &str, base: &RequestParams) -> Result<(GridSpec, usize), ListError> {
        let spec = GridSpec::parse_line(line)?;
        let calls = spec.cells(base, 1)?.len();
        Ok((spec, calls))
    }

    /// `2 size(s) × 2 model(s)`: the grid's shape, as said before and
    /// after it starts.
    pub fn shape(&self) -> String {
        format!(
            "{} size(s) × {} model(s)",
            self.sizes.len().max(1),
            self.models.len().max(1)
        )
    }

    /// Whether this fans out at all (more than one size or model).
    pub fn is_grid(&self) -> bool {
        self.sizes.len() > 1 || self.models.len() > 1
    }
}

/// The siblings of one user turn laid out as a grid: a row per size and a
/// column per model (in the order they first appear), each cell holding
/// its turns (more than one with variants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridLayout {
    pub rows: Vec<SizeSpec>,
    pub cols: Vec<String>,
    /// `cells[row][col]`: the turns asked with that size and model.
    pub cells: Vec<Vec<Vec<NodeId>>>,
}

impl GridLayout {
    /// The layout of `user`'s answers; `None` when they do not vary in
    /// size or model (plain variants are no grid) or `user` is no user turn.
    pub fn of(conv: &Conversation, user: NodeId) -> Option<GridLayout> {
        let node = conv.node(user).ok()?;
        if node.role != Role::User {
            return None;
        }
        let turns: Vec<(NodeId, &RequestParams)> = node
            .children
            .iter()
            .filter_map(|&c| {
                let n = conv.node(c).ok()?;
                Some((c, &n.turn.as_ref()?.request))
            })
            .collect();
        let mut rows: Vec<SizeSpec> = Vec::new();
        let mut cols: Vec<String> = Vec::new();
        for (_, r) in &turns {
            if !rows.contains(&r.size) {
                rows.push(r.size);
            }
            if !cols.contains(&r.model) {
                cols.push(r.model.clone());
            }
        }
        if rows.len() < 2 && cols.len() < 2 {
            return None;
        }
        let mut cells = vec![vec![Vec::new(); cols.len()]; rows.len()];
        for (id, r) in turns {
            let row = rows.iter().position(|s| *s == r.size)?;
            let col = cols.iter().position(|m| *m == r.model)?;
            cells[row][col].push(id);
        }
        Some(GridLayout { rows, cols, cells })
    }

    /// Where `node` sits: (row, column).
    pub fn position(&self, node: NodeId) -> Option<(usize, usize)> {
        self.cells.iter().enumerate().find_map(|(r, row)| {
            row.iter()
                .position(|cell| cell.contains(&node))
                .map(|c| (r, c))
        })
    }
}

#[cfg(test)]
mod tests;
