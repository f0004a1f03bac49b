//! A re-run under way, as the app holds it, and its price.

use pixloom_core::tree::NodeId;
use pixloom_core::tree::rerun::RerunStep;

use super::dollars;

/// A re-run under way (`update/rerun.rs`): the answer running now, the
/// steps still to add under it, and how many there were.
#[derive(Debug, Clone)]
pub(crate) struct RerunRun {
    pub running: NodeId,
    pub left: std::collections::VecDeque<RerunStep>,
    pub total: usize,
}

/// `3 call(s) × $0.03 = $0.09`: what a number of calls costs.
pub(crate) fn price_of_calls(calls: usize) -> String {
    let each = pixloom_core::model::PRICE_PER_CALL_MICRO_USD;
    let all = each.saturating_mul(calls as u64);
    format!("{calls} call(s) × {} = {}", dollars(each), dollars(all))
}
