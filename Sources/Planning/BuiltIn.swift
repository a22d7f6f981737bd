import Foundation
import ScalingLaws

/// The law `t2 plan` uses without `--law`.
public enum BuiltInPlanLaw {
    /// The built-in law and a one-line description for reports.
    public static var law: (law: ScalingLaw, description: String) {
        get throws {
            throw PlanError.unplannableLaw(form: "built-in", reason: "this build has no built-in T² law yet; pass --law FILE from `t2 fit --out`")
        }
    }
}
