//! The TypeScript the UI imports (`ui/src/bindings.ts`), generated from the Rust types so
//! the two sides cannot drift: `tests/bindings.rs` fails when the committed file differs.

use crate::error::{Location, ServiceError};
use crate::layout::PaneSizes;
use crate::servers::*;
use crate::types::*;
use ts_rs::{Config, TS};

/// Every type the UI sends or receives, in one module.
pub fn typescript() -> String {
    let cfg = Config::default();
    let mut out = String::from(
        "// Generated from crates/studio-service by `UPDATE_BINDINGS=1 cargo test -p unifield-studio-service --test bindings`.\n// Do not edit: change the Rust types instead.\n\n",
    );
    macro_rules! declare {
        ($($ty:ty),* $(,)?) => {
            $(
                out.push_str("export ");
                out.push_str(&<$ty as TS>::decl(&cfg));
                out.push_str("\n\n");
            )*
        };
    }
    declare!(
        serde_json::Value,
        ServiceError,
        Location,
        RecordSource,
        WorkspaceInfo,
        RecordSourceInfo,
        EntityCount,
        MappingSummary,
        TargetEntity,
        TargetField,
        EnumValueInfo,
        TransformInfo,
        ParamInfo,
        RecordList,
        RecordPage,
        RecordRow,
        RecordTree,
        TreeNode,
        MappingState,
        ProblemInfo,
        VersionInfo,
        MappingDiff,
        Change,
        Preview,
        FieldResult,
        CoverageReport,
        FieldCoverageInfo,
        KeyCoverageInfo,
        ValueCount,
        ExplainInfo,
        PathMatch,
        Located,
        StepInfo,
        Suggestion,
        SuggestedBinding,
        ConnectionInfo,
        PullInfo,
        NewConnection,
        Health,
        PullProgress,
        PullReport,
        PullEntityReport,
        CoverageProgress,
        ImportedMapping,
        Exported,
        ServerInfo,
        NewServer,
        ServerConnectionInfo,
        ServerSyncInfo,
        PushPreview,
        FieldImpact,
        ImpactExample,
        PushResult,
        VerifyReport,
        FieldDifference,
        ServerVersionInfo,
        ServerPull,
        DeliveryInfo,
        PaneSizes,
    );
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
